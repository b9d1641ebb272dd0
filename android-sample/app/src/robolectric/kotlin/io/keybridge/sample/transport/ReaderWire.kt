package io.keybridge.sample.transport

import java.net.Socket
import kotlin.concurrent.thread

/**
 * The far end of a shadowed Bluetooth link: a TCP connection to the real reader simulator
 * (`keybridge simulate`). What the app writes to the link is [send] to the simulator; what the
 * simulator answers is handed to [deliver] by a daemon thread, as the Bluetooth stack would hand
 * it to the app. Closing ends the connection and the thread.
 */
class ReaderWire(port: Int, deliver: (ByteArray) -> Unit) : AutoCloseable {
    private val socket = Socket("127.0.0.1", port).apply { tcpNoDelay = true }

    init {
        thread(isDaemon = true, name = "reader-wire") {
            val chunk = ByteArray(512)
            runCatching {
                while (true) {
                    val n = socket.getInputStream().read(chunk)
                    if (n < 0) break
                    deliver(chunk.copyOf(n))
                }
            }
        }
    }

    val isClosed: Boolean get() = socket.isClosed

    fun send(bytes: ByteArray) {
        socket.getOutputStream().apply {
            write(bytes)
            flush()
        }
    }

    override fun close() = socket.close()
}
