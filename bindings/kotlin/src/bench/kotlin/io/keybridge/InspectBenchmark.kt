package io.keybridge

/**
 * Per-call overhead of the Kotlin bindings: the same inspect call as the Rust criterion bench
 * `cargo bench -p keybridge-ffi --bench inspect` (parse a key block, read its header), made from
 * Kotlin through JNA. The difference is the FFI cost: argument and result serialization, the JNA
 * call, object handle management. Run by bindings/scripts/bench-jvm.sh.
 */
fun main() {
    val block = "D0112P0AE00E0000B82679114F470F540165EDFBF7E250FCEA43F810D215F8D207E2E417C07156A27E8E31DA05F7425509593D03A457DC34"
    val lenient = Tr31Profile(lenient = true)
    fun once(): Int = Tr31KeyBlock.parseWith(block, lenient).use { it.header().optionalBlocks.size }

    repeat(20_000) { once() } // JIT warm-up
    val rounds = 5
    val perRound = 50_000
    val results = (1..rounds).map {
        val start = System.nanoTime()
        var sink = 0
        repeat(perRound) { sink += once() }
        check(sink == 0)
        (System.nanoTime() - start).toDouble() / perRound
    }
    val best = results.minOrNull()!!
    val median = results.sorted()[rounds / 2]
    println("inspect via Kotlin/JNA: best %.0f ns/call, median %.0f ns/call (%d rounds of %d)".format(best, median, rounds, perRound))
}
