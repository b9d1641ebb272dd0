package io.keybridge.sample.ui

import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import io.keybridge.sample.SampleViewModel
import io.keybridge.sample.core.SessionState
import io.keybridge.sample.core.Step

/**
 * One screen per session state, with the step bar on top and the step log below: pick a reader →
 * sign in to the key service and provision it (each slot's verdict and KCV), or offline: paste a
 * key block → inspect it → send → verdict.
 */
@Composable
fun SampleApp(vm: SampleViewModel) {
    val state by vm.session.state.collectAsStateWithLifecycle()
    val log by vm.session.log.collectAsStateWithLifecycle()
    val login by vm.login.collectAsStateWithLifecycle()
    val getKeys: @Composable () -> Unit = {
        ServiceForm(vm.defaultServiceUrl, login, vm::signIn, vm::signOut, vm::provision)
        PasteForm(vm::fetch)
    }
    Scaffold { padding ->
        Column(Modifier.fillMaxSize().padding(padding).padding(12.dp).verticalScroll(rememberScrollState())) {
            StepBar(state)
            when (val s = state) {
                SessionState.Idle -> ReaderPicker(onPick = vm::connect)
                is SessionState.Working -> WorkingCard(s, onCancel = vm::cancel)
                is SessionState.Connected -> {
                    Text("Connected to ${s.reader}, POS ID ${s.readerId}", style = MaterialTheme.typography.bodySmall)
                    getKeys()
                }
                is SessionState.Provisioned -> ProvisionedCard(s.report, onStartOver = vm::startOver)
                is SessionState.Validated -> InspectionCard(s.inspection, onSend = vm::send, onStartOver = vm::startOver)
                is SessionState.Loaded -> VerdictCard(s.verdict, onStartOver = vm::startOver)
                is SessionState.Failed -> {
                    ErrorCard(s.error)
                    val inspection = vm.session.inspection
                    when {
                        s.step == Step.CONNECT -> ReaderPicker(onPick = vm::connect)
                        s.step == Step.SEND && inspection != null ->
                            InspectionCard(inspection, onSend = vm::send, onStartOver = vm::startOver)
                        else -> getKeys()
                    }
                }
            }
            StepLog(log)
        }
    }
}
