package io.keybridge.sample.core

import io.keybridge.ReaderTransportException
import kotlin.concurrent.thread
import kotlin.test.Test
import kotlin.test.assertContentEquals
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith

/** The buffer behind pushed links (stream pump, BLE notifications): partial reads, timeouts, end of stream. */
class ByteInboxTest {
    @Test
    fun `reads return at most what was asked, in order, and empty on timeout`() {
        val inbox = ByteInbox()
        inbox.offer(byteArrayOf(1, 2, 3))
        inbox.offer(byteArrayOf(4, 5))
        assertContentEquals(byteArrayOf(1, 2), inbox.take(2, 0))
        assertContentEquals(byteArrayOf(3, 4, 5), inbox.take(10, 0))
        assertEquals(0, inbox.take(10, 20).size)
    }

    @Test
    fun `a waiting read wakes up when bytes arrive`() {
        val inbox = ByteInbox()
        thread { Thread.sleep(50); inbox.offer(byteArrayOf(7)) }
        assertContentEquals(byteArrayOf(7), inbox.take(4, 5_000))
    }

    @Test
    fun `after close the remaining bytes are read, then Closed`() {
        val inbox = ByteInbox()
        inbox.offer(byteArrayOf(9))
        inbox.close()
        assertContentEquals(byteArrayOf(9), inbox.take(4, 0))
        assertFailsWith<ReaderTransportException.Closed> { inbox.take(4, 1_000) }
    }
}
