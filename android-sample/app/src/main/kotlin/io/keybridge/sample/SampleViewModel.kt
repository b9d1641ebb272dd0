package io.keybridge.sample

import android.app.Application
import androidx.lifecycle.AndroidViewModel
import androidx.lifecycle.viewModelScope
import io.keybridge.sample.backend.BackendCredentialsProvider
import io.keybridge.sample.backend.SystemRootCertificates
import io.keybridge.sample.core.KeyLoadSession
import io.keybridge.sample.core.KeybridgeAwsExporter
import io.keybridge.sample.core.KeySource
import io.keybridge.sample.core.ReaderLink
import kotlinx.coroutines.Job
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.launch

/**
 * Owns the [KeyLoadSession] for the activity's lifetime (rotation included) and runs its steps in
 * [viewModelScope]. Cancel cancels the running step's coroutine, which keybridge turns into a
 * cancelled reader exchange.
 */
class SampleViewModel(application: Application) : AndroidViewModel(application) {
    /** Typed in the AWS form and sent to the backend as the operator's bearer token; never stored. */
    @Volatile var operatorToken: String = ""

    /** AWS export is offered only when the build names a backend (see app/build.gradle.kts). */
    val awsAvailable = BuildConfig.BACKEND_URL.isNotEmpty()

    val session = KeyLoadSession(
        credentials = if (awsAvailable) BackendCredentialsProvider(BuildConfig.BACKEND_URL) { operatorToken } else null,
        exporter = if (awsAvailable) KeybridgeAwsExporter(rootCertificatesPem = SystemRootCertificates::pem) else null,
    )
    private var running: Job? = null

    fun connect(link: ReaderLink) = launchStep { session.connect(link) }

    fun fetch(source: KeySource) = launchStep { session.fetch(source) }

    fun send() = launchStep { session.send() }

    fun cancel() {
        running?.cancel()
    }

    /** Waits for a cancelled step to record itself before resetting, so "Cancelled" cannot land after Idle. */
    fun startOver() {
        val step = running
        running = viewModelScope.launch {
            step?.cancelAndJoin()
            session.close()
        }
    }

    private fun launchStep(step: suspend () -> Unit) {
        if (running?.isActive == true) return // one step at a time; the buttons are disabled meanwhile
        running = viewModelScope.launch { step() }
    }

    override fun onCleared() = session.close()
}
