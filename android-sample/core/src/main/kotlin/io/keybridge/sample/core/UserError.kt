package io.keybridge.sample.core

import io.keybridge.KeyBlockException
import io.keybridge.KeyServiceException
import io.keybridge.ReaderException
import io.keybridge.ReaderTransportException

/** What went wrong, in the user's terms. One kind per thing the user would do differently. */
enum class ErrorKind(val title: String, val hint: String) {
    READER_UNREACHABLE(
        "Cannot reach the reader",
        "Check that it is switched on, paired (Bluetooth) or plugged in (USB), and in range.",
    ),
    MALFORMED_BLOCK("The key block is malformed", "Paste the block exactly as AWS returned it; the position is counted from 0."),
    REFUSED("The key block is not allowed", "Only versions A/B/D and usages K0, B1, D0, P0 load into this reader."),
    INVALID_INPUT("Invalid input", "Correct the highlighted value and try again."),
    MAC_ERROR(
        "The reader rejected the key block (MAC error)",
        "The block is wrapped under a different KEK than the reader holds: export it under the reader's KEK.",
    ),
    REJECTED("The reader rejected the key", "See the reader's reason; nothing was loaded."),
    KCV_MISMATCH("The reader holds a different key", "The KCVs differ: do not use this reader until the right key is loaded."),
    TIMEOUT("The reader did not answer in time", "Move closer or reconnect, then read the slot's KCV before sending again."),
    DISCONNECTED("The connection was lost", "Reconnect and check the slot's KCV: the key may or may not be loaded."),
    INDETERMINATE("Unknown whether the key was loaded", "Reconnect and compare the slot's KCV before sending again."),
    CANCELLED("Cancelled", "If the block had been sent, check the slot's KCV before sending again."),
    BUSY("The reader connection is busy", "It is still finishing a cancelled command: try again in a moment."),
    READER_ID(
        "Could not read the reader's POS id",
        "Check the connection to the reader and try again: nothing was asked of the key service.",
    ),
    SERVICE_REFUSED(
        "The key service refused",
        "Sign in again (the token may be revoked or expired), or check that the reader is registered for your group.",
    ),
    SERVICE_UNAVAILABLE("The key service is unavailable", "It or AWS behind it is busy: try again later. Nothing was loaded."),
    SERVICE_UNREACHABLE("Cannot reach the key service", "Check the service URL and the network. Nothing was loaded."),
    INTERNAL("Unexpected error", "Try again; report the step log if it persists."),
}

/** An error ready for the screen: [detail] is keybridge's own text (field and position for blocks). */
data class UserError(val kind: ErrorKind, val detail: String) {
    val title get() = kind.title
    val hint get() = kind.hint

    override fun toString() = "${kind.title}: $detail"

    companion object {
        /** Maps keybridge's typed exceptions (and the app's own) to what the user sees. */
        fun from(error: Throwable): UserError = when (error) {
            // Its `message` is a dump of its fields; `toString()` is the sentence, without the token.
            is KeyServiceException -> UserError(kindOf(error), error.toString())
            else -> UserError(kindOf(error), error.message ?: error.javaClass.simpleName)
        }

        private fun kindOf(error: Throwable): ErrorKind = when (error) {
            is KeyServiceException.Refused -> ErrorKind.SERVICE_REFUSED
            is KeyServiceException.Unavailable -> ErrorKind.SERVICE_UNAVAILABLE
            is KeyServiceException.Network, is KeyServiceException.Protocol -> ErrorKind.SERVICE_UNREACHABLE
            is KeyServiceException.InvalidConfig -> ErrorKind.INVALID_INPUT
            is KeyServiceException.Reader -> ErrorKind.READER_ID
            is KeyServiceException.Cancelled -> ErrorKind.CANCELLED
            is KeyBlockException.Malformed -> ErrorKind.MALFORMED_BLOCK
            is KeyBlockException.RuleViolation, is KeyBlockException.WeakWrapping -> ErrorKind.REFUSED
            is KeyBlockException -> ErrorKind.INVALID_INPUT
            is ReaderException.InvalidBlock -> ErrorKind.MALFORMED_BLOCK
            is ReaderException.Refused -> ErrorKind.REFUSED
            is ReaderException.InvalidArgument -> ErrorKind.INVALID_INPUT
            is ReaderException.MacMismatch -> ErrorKind.MAC_ERROR
            is ReaderException.Busy -> ErrorKind.BUSY
            is ReaderException.NotSupported, is ReaderException.Rejected -> ErrorKind.REJECTED
            is ReaderException.KcvMismatch -> ErrorKind.KCV_MISMATCH
            is ReaderException.Timeout, is ReaderException.NoResponse -> ErrorKind.TIMEOUT
            is ReaderException.Disconnected -> ErrorKind.DISCONNECTED
            is ReaderException.Indeterminate -> ErrorKind.INDETERMINATE
            is ReaderException.Cancelled -> ErrorKind.CANCELLED
            is ReaderException.CallInProgress -> ErrorKind.BUSY
            is ReaderException.Transport, is ReaderTransportException -> ErrorKind.READER_UNREACHABLE
            is IllegalArgumentException -> ErrorKind.INVALID_INPUT
            else -> ErrorKind.INTERNAL
        }
    }
}
