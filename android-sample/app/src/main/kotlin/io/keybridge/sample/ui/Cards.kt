package io.keybridge.sample.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.CardDefaults
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.text.font.FontFamily
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.unit.dp
import io.keybridge.KcvVerification
import io.keybridge.ProvisionReport
import io.keybridge.sample.core.Inspection
import io.keybridge.sample.core.LogEntry
import io.keybridge.sample.core.LogLevel
import io.keybridge.sample.core.SessionState
import io.keybridge.sample.core.Step
import io.keybridge.sample.core.UserError
import io.keybridge.sample.core.Verdict

/** CONNECT ▸ PROVISION, or offline FETCH ▸ VALIDATE ▸ SEND ▸ VERDICT; the current step in bold. */
@Composable
fun StepBar(state: SessionState) {
    val current = when (state) {
        SessionState.Idle -> Step.CONNECT
        is SessionState.Working -> state.step
        is SessionState.Connected -> Step.PROVISION
        is SessionState.Provisioned -> Step.PROVISION
        is SessionState.Validated -> Step.SEND
        is SessionState.Loaded -> Step.VERDICT
        is SessionState.Failed -> state.step
    }
    Row(Modifier.fillMaxWidth().padding(bottom = 8.dp), horizontalArrangement = Arrangement.SpaceBetween) {
        Step.entries.forEach {
            Text(it.name, fontWeight = if (it == current) FontWeight.Bold else FontWeight.Normal)
        }
    }
}

@Composable
fun WorkingCard(state: SessionState.Working, onCancel: () -> Unit) = Section(state.what) {
    LinearProgressIndicator(Modifier.fillMaxWidth())
    OutlinedButton(onClick = onCancel) { Text("Cancel") }
}

@Composable
fun ErrorCard(error: UserError) = Card(
    Modifier.fillMaxWidth().padding(vertical = 6.dp),
    colors = CardDefaults.cardColors(containerColor = MaterialTheme.colorScheme.errorContainer),
) {
    Column(Modifier.padding(12.dp)) {
        Text(error.title, style = MaterialTheme.typography.titleMedium)
        Text(error.detail, fontFamily = FontFamily.Monospace)
        Text(error.hint, style = MaterialTheme.typography.bodySmall)
    }
}

/** The decoded header, optional blocks and warnings: what the operator checks before sending. */
@Composable
fun InspectionCard(inspection: Inspection, onSend: () -> Unit, onStartOver: () -> Unit) = Section("Key block") {
    val h = inspection.header
    Field("Version", h.version)
    Field("Key usage", "${h.keyUsage} — ${h.keyUsageMeaning}")
    Field("Algorithm", "${h.algorithm} — ${h.algorithmMeaning}")
    Field("Mode of use", h.modeOfUse)
    Field("Key version", h.keyVersion)
    Field("Exportability", h.exportability)
    h.optionalBlocks.forEach { Field("Block ${it.id}", "${it.data}${it.meaning?.let { m -> " ($m)" } ?: ""}") }
    Field("Expected KCV", inspection.expectedKcv?.let { "${it.hex} (${it.origin})" } ?: "none")
    inspection.warnings.forEach { Text("⚠ $it", color = MaterialTheme.colorScheme.error) }
    Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
        Button(onClick = onSend) { Text("Send to reader") }
        OutlinedButton(onClick = onStartOver) { Text("Start over") }
    }
}

/** The reader's KCV against the expected one: the question the operator actually has. */
@Composable
fun VerdictCard(verdict: Verdict, onStartOver: () -> Unit) = Section(
    if (verdict.kcvMatched) "Key loaded and verified" else "Key loaded, NOT verified",
) {
    Field("Slot", verdict.slot.toString())
    Field("Reader KCV", verdict.readerKcvHex.ifEmpty { "not reported" })
    Field("Expected KCV", verdict.expectedKcv?.let { "${it.hex} (${it.origin})" } ?: "none")
    Field(
        "Compared with",
        when (verdict.verification) {
            KcvVerification.MATCHED_KEY_BLOCK -> "the block's KC block: match"
            KcvVerification.MATCHED_EXPECTED -> "the expected KCV: match"
            KcvVerification.UNVERIFIED -> "nothing — check the KCV by other means"
        },
    )
    Field("Time", "${verdict.elapsedMs} ms")
    verdict.warnings.forEach { Text("⚠ $it", color = MaterialTheme.colorScheme.error) }
    Button(onClick = onStartOver) { Text("Load another key") }
}

/** Every slot the key service issued: what the reader did, its KCV against AWS's, the service's verdict. */
@Composable
fun ProvisionedCard(report: ProvisionReport, onStartOver: () -> Unit) = Section(
    if (report.allVerified) "Reader provisioned and verified" else "Reader provisioned: check each slot",
) {
    Field("Reader", report.posId)
    Field("Request", report.requestId)
    report.slots.forEach { slot ->
        Text("Slot ${slot.slot}: ${slot.outcome.name.lowercase()}", fontWeight = FontWeight.SemiBold)
        Field("Verdict", slot.verdict?.name?.lowercase() ?: "none")
        Field("Reader KCV", slot.readerKcvHex ?: "not reported")
        Field("AWS KCV", "${slot.serviceKcv} (${slot.serviceKcvAlgorithm})")
        slot.ksn?.let { Field("KSN", it) }
        slot.failure?.let { Text("${it.dspreadError}: ${it.message}", color = MaterialTheme.colorScheme.error) }
    }
    if (report.cancelled) Text("Cancelled: the slots not listed were never sent (reported to the key service as failed).", color = MaterialTheme.colorScheme.error)
    report.reportFailure?.let {
        Text("The service did not get the report (the results above stand): ${it.message}", color = MaterialTheme.colorScheme.error)
    }
    Button(onClick = onStartOver) { Text("Done") }
}

@Composable
fun StepLog(entries: List<LogEntry>) = Section("Log") {
    entries.forEach {
        val color = when (it.level) {
            LogLevel.INFO -> Color.Unspecified
            LogLevel.WARNING -> Color(0xFFB26A00)
            LogLevel.ERROR -> MaterialTheme.colorScheme.error
        }
        Text("${it.step.name.lowercase()}  ${it.message}", color = color, style = MaterialTheme.typography.bodySmall)
    }
}

@Composable
fun Section(title: String, content: @Composable () -> Unit) = Card(Modifier.fillMaxWidth().padding(vertical = 6.dp)) {
    Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(6.dp)) {
        Text(title, style = MaterialTheme.typography.titleMedium)
        content()
    }
}

@Composable
private fun Field(label: String, value: String) = Row {
    Text("$label: ", fontWeight = FontWeight.SemiBold)
    Text(value, fontFamily = FontFamily.Monospace)
}
