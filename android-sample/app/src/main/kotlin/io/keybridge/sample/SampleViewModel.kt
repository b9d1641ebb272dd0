package io.keybridge.sample

import android.app.Application
import androidx.lifecycle.AndroidViewModel
import androidx.lifecycle.viewModelScope
import io.keybridge.sample.backend.SystemRootCertificates
import io.keybridge.sample.core.KeyLoadSession
import io.keybridge.sample.core.PastedBlock
import io.keybridge.sample.core.ReaderLink
import io.keybridge.sample.core.ServiceLogin
import kotlinx.coroutines.Job
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch

/**
 * Owns the [KeyLoadSession] for the activity's lifetime (rotation included) and runs its steps in
 * [viewModelScope]. Cancel cancels the running step's coroutine, which keybridge turns into a
 * cancelled reader exchange.
 */
class SampleViewModel(application: Application) : AndroidViewModel(application) {
    /** Pre-filled in the sign-in form (see app/build.gradle.kts); the operator may change it. */
    val defaultServiceUrl: String = BuildConfig.SERVICE_URL

    /** The operator's sign-in to the key service: in memory only, never saved or logged. */
    private val signedIn = MutableStateFlow<ServiceLogin?>(null)
    val login: StateFlow<ServiceLogin?> = signedIn.asStateFlow()

    /** The platform's CA roots go to keybridge's native HTTPS client, which cannot read Android's store. */
    val session = KeyLoadSession(rootCertificatesPem = SystemRootCertificates::pem)
    private var running: Job? = null

    fun connect(link: ReaderLink) = launchStep { session.connect(link) }

    fun signIn(url: String, operatorToken: String) {
        signedIn.value = ServiceLogin(url.trim(), operatorToken.trim())
    }

    fun signOut() {
        signedIn.value = null
    }

    fun provision() {
        val login = signedIn.value ?: return
        launchStep { session.provision(login) }
    }

    fun fetch(block: PastedBlock) = launchStep { session.fetch(block) }

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
