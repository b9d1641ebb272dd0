package io.keybridge.sample.core

import io.keybridge.KcvVerification
import io.keybridge.ProvisionReport
import io.keybridge.Tr31Header
import java.time.Instant

/**
 * The steps of a session, in order: connect, then either provision from the key service or, offline,
 * fetch (paste) → validate → send → verdict.
 */
enum class Step { CONNECT, PROVISION, FETCH, VALIDATE, SEND, VERDICT }

/** What the screens show. Each state names what the user can do next. */
sealed interface SessionState {
    /** Pick a reader. */
    data object Idle : SessionState

    /** A step is running (show progress and a Cancel button). */
    data class Working(val step: Step, val what: String) : SessionState

    /** Connected; provision from the key service, or paste a key block. */
    data class Connected(val reader: String, val readerId: String) : SessionState

    /** The key service's keys were loaded: every slot's outcome, reader KCV and the service's verdict. */
    data class Provisioned(val report: ProvisionReport) : SessionState

    /** The block parsed and passed the load policy; inspect it, then send. */
    data class Validated(val inspection: Inspection) : SessionState

    /** The reader took the key; compare the KCVs. */
    data class Loaded(val verdict: Verdict) : SessionState

    /** A step failed; [error] says why and what to do. Earlier results stay usable. */
    data class Failed(val step: Step, val error: UserError) : SessionState
}

/** A validated key block, decoded for display. Holds no clear key. */
data class Inspection(
    val keyBlock: String,
    val header: Tr31Header,
    /** From `KeyLoader.check`: e.g. wrapped under the factory KBPK, no KCV to compare with. */
    val warnings: List<String>,
    val expectedKcv: ExpectedKcv?,
)

/** The outcome of a load: the reader's KCV against the expected one. */
data class Verdict(
    val slot: Int,
    val keyUsage: String,
    val readerKcvHex: String,
    val expectedKcv: ExpectedKcv?,
    /** What the loader compared the reader's KCV with: the block's KC block, the expected KCV, or nothing. */
    val verification: KcvVerification,
    val warnings: List<String>,
    val elapsedMs: Long,
) {
    /** True when the loader compared the reader's KCV with a known one and they matched (a mismatch is an error). */
    val kcvMatched: Boolean get() = verification != KcvVerification.UNVERIFIED
}

enum class LogLevel { INFO, WARNING, ERROR }

/** One line of the step log. Never contains key material or credentials. */
data class LogEntry(val at: Instant, val step: Step, val level: LogLevel, val message: String) {
    override fun toString() = "$at ${step.name.padEnd(9)} ${level.name.padEnd(7)} $message"
}
