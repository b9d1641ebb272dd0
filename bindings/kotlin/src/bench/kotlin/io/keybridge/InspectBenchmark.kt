package io.keybridge

/**
 * Per-call overhead of the Kotlin bindings: the same inspect as the Rust criterion bench
 * `cargo bench -p keybridge-ffi --bench inspect` (parse a key block, read its header), made from
 * Kotlin through JNA, and the parts it is made of. Run by bindings/scripts/bench-jvm.sh.
 *
 * The breakdown shows where the time goes: every call into Rust that uniffi's Kotlin makes
 * allocates a JNA `Structure` for the call status (with a nested `RustBuffer`), and one inspect
 * through the `Tr31KeyBlock` object is seven such calls (two buffer allocations for the
 * arguments, the constructor, a handle clone, `header`, the buffer free, the destructor).
 */
fun main() {
    val block = "D0112P0AE00E0000B82679114F470F540165EDFBF7E250FCEA43F810D215F8D207E2E417C07156A27E8E31DA05F7425509593D03A457DC34"
    val lenient = Tr31Profile(lenient = true)
    val held = Tr31KeyBlock.parseWith(block, lenient)
    measure("one JNA call status (the Structure alone)") { UniffiRustCallStatus().code.toInt() }
    measure("one call into Rust: length()") { held.length().toInt() }
    measure("header() on a parsed block") { held.header().optionalBlocks.size }
    measure("inspect: parseWith + header + close") {
        Tr31KeyBlock.parseWith(block, lenient).use { it.header().optionalBlocks.size }
    }
    held.close()
}

/** Prints the best and the median of 9 rounds of 20 000 warm calls, in ns per call. */
private fun measure(what: String, call: () -> Int) {
    val perRound = 20_000
    var sink = 0
    repeat(perRound) { sink += call() } // JIT warm-up
    val results = (1..9).map {
        val start = System.nanoTime()
        repeat(perRound) { sink += call() }
        (System.nanoTime() - start).toDouble() / perRound
    }.sorted()
    check(sink >= 0) // keeps the calls from being optimized away
    println("%-45s best %7.0f ns/call, median %7.0f ns/call".format(what, results[0], results[4]))
}
