package io.keybridge.sample.core

import io.keybridge.ReaderTransport
import io.keybridge.ReaderTransportException
import java.io.IOException
import java.io.InputStream
import java.io.OutputStream
import java.net.InetSocketAddress
import java.net.Socket
import java.util.concurrent.TimeUnit
import java.util.concurrent.locks.ReentrantLock
import kotlin.concurrent.thread
import kotlin.concurrent.withLock

/**
 * A reader the user picked: a label for the screens and how to open a byte link to it. Every
 * link (TCP, Bluetooth SPP, BLE, USB CDC-ACM) ends up as a [ReaderTransport] handed to
 * `KeyLoader.withTransport`, so the session does not care how the bytes travel. [open] blocks
 * (socket connect, RFCOMM connect) and is called off the main thread.
 */
class ReaderLink(val label: String, val open: () -> ReaderTransport) {
    companion object {
        /** A reader (or `keybridge simulate --tcp PORT`) reachable at [host]:[port]. */
        fun tcp(host: String, port: Int, connectTimeoutMs: Int = 5_000) = ReaderLink("TCP $host:$port") {
            val socket = Socket()
            try {
                socket.connect(InetSocketAddress(host, port), connectTimeoutMs)
                socket.tcpNoDelay = true
            } catch (e: IOException) {
                socket.close()
                throw ReaderTransportException.Io("cannot connect to $host:$port: ${e.message}")
            }
            StreamReaderTransport(socket.getInputStream(), socket.getOutputStream(), socket)
        }
    }
}

/**
 * Bytes that arrived from the reader and wait for the loader's next `read`. Links that push data
 * (a stream pump thread, BLE notifications) [offer] into it; [take] waits up to a timeout, which is
 * what `ReaderTransport.read` needs and what blocking streams such as a Bluetooth socket lack.
 */
class ByteInbox {
    private val lock = ReentrantLock()
    private val arrived = lock.newCondition()
    private var buffer = ByteArray(0)
    private var closed = false

    fun offer(bytes: ByteArray) = lock.withLock {
        buffer += bytes
        arrived.signalAll()
    }

    /** Marks the end of the stream: waiting readers wake up and later reads fail. */
    fun close() = lock.withLock {
        closed = true
        arrived.signalAll()
    }

    /** Up to [maxLen] bytes, waiting at most [timeoutMs]; empty when nothing arrived in time. */
    fun take(maxLen: Int, timeoutMs: Long): ByteArray = lock.withLock {
        var remainingNs = TimeUnit.MILLISECONDS.toNanos(timeoutMs)
        while (buffer.isEmpty() && !closed && remainingNs > 0) remainingNs = arrived.awaitNanos(remainingNs)
        if (buffer.isEmpty() && closed) throw ReaderTransportException.Closed()
        val n = minOf(maxLen, buffer.size)
        buffer.copyOfRange(0, n).also { buffer = buffer.copyOfRange(n, buffer.size) }
    }
}

/**
 * A [ReaderTransport] over a blocking stream pair: a TCP socket or a Bluetooth RFCOMM socket.
 * A daemon thread pumps [input] into a [ByteInbox] so that reads can time out; [resource] (the
 * socket) is closed on [disconnect], which also ends the pump.
 */
class StreamReaderTransport(
    private val input: InputStream,
    private val output: OutputStream,
    private val resource: AutoCloseable,
) : ReaderTransport {
    private val inbox = ByteInbox()

    init {
        thread(isDaemon = true, name = "reader-link-pump") {
            val chunk = ByteArray(1024)
            try {
                while (true) {
                    val n = input.read(chunk)
                    if (n < 0) break
                    inbox.offer(chunk.copyOf(n))
                }
            } catch (e: IOException) {
                // The link broke or was closed by disconnect(): readers see Closed below.
            } finally {
                inbox.close()
            }
        }
    }

    override fun read(maxLen: Int, timeoutMs: Int): ByteArray = inbox.take(maxLen, timeoutMs.toLong())

    override fun write(data: ByteArray) {
        try {
            output.write(data)
            output.flush()
        } catch (e: IOException) {
            throw ReaderTransportException.Io("write failed: ${e.message}")
        }
    }

    override fun disconnect() {
        runCatching { resource.close() }
        inbox.close()
    }
}
