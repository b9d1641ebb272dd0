package io.keybridge

import io.keybridge.dspread.CQPOSService
import io.keybridge.dspread.KeyLoadReport
import io.keybridge.dspread.UniffiKeyLoaderBackend
import io.keybridge.dspread.updateKeyByTR_31
import java.io.BufferedReader
import java.io.InputStreamReader
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit
import kotlinx.coroutines.runBlocking
import kotlin.test.Test
import kotlin.test.assertContains
import kotlin.test.assertContentEquals
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertNotNull
import kotlin.test.assertTrue

/**
 * `keybridge aws-emulator` as a process: the AWS Payment Cryptography control plane on 127.0.0.1,
 * driven through the real AWS SDK inside the library. Preloads the reader's KEK (the factory
 * KBPK, as a TDES K0 key) and the PIN key of [TestBlocks].
 */
class AwsEmulator(vararg flags: String) : AutoCloseable {
    private val process = ProcessBuilder(
        listOf(
            System.getProperty("keybridge.cli", "target/debug/keybridge"), "aws-emulator", "--port", "0",
            "--key", "alias/kek=K0:TDES_2KEY:${TestBlocks.factoryKbpk.toHex()}",
            "--key", "alias/pin=P0:TDES_2KEY:${TestBlocks.pinKey.toHex()}",
        ) + flags,
    ).redirectError(ProcessBuilder.Redirect.INHERIT).start()

    /** Kept open: the emulator prints more lines after the first. */
    private val stdout = BufferedReader(InputStreamReader(process.inputStream))
    val url: String = stdout.readLine()?.substringAfterLast(' ') ?: error("aws-emulator printed nothing")

    fun config(secret: String = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", maxAttempts: Int? = null) = AwsExporterConfig(
        region = "us-east-1",
        endpointUrl = url,
        accessKeyId = "AKIAIOSFODNN7EXAMPLE",
        secretAccessKey = secret,
        maxAttempts = maxAttempts,
    )

    override fun close() {
        process.destroy()
        if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly()
    }
}

class AwsExporterTest {
    @Test
    fun exportsFromAwsAndLoadsIntoTheReader() = runBlocking<Unit> {
        AwsEmulator().use { aws ->
            val exported = AwsKeyExporter(aws.config()).use { it.exportTr31("alias/pin", "alias/kek") }
            assertTrue(exported.keyBlock.startsWith("B"), exported.keyBlock)
            assertEquals("ANSI_X9_24", exported.kcvAlgorithm)
            assertContentEquals(TestBlocks.pinKeyKcv.hexToBytes(), exported.readerComparableKcv)
            Simulator.tcp().use { sim ->
                KeyLoader.openTcp(sim.address, LoaderOptions()).use { loader ->
                    val result = loader.sendTr31KeyWith(
                        exported.keyBlock,
                        LoadRequest(slot = 1, expectedKcv = exported.readerComparableKcv),
                    )
                    assertEquals(TestBlocks.pinKeyKcv, result.readerKcvHex)
                    assertEquals(KcvVerification.MATCHED_EXPECTED, result.kcvVerification)
                }
            }
        }
    }

    /** The Dspread-compatible API takes the export whole and holds the reader to AWS's KCV. */
    @Test
    fun theCompatibleApiComparesTheReadersKcvWithAwss() = runBlocking<Unit> {
        AwsEmulator().use { aws ->
            val exported = AwsKeyExporter(aws.config()).use { it.exportTr31("alias/pin", "alias/kek") }
            Simulator.tcp().use { sim ->
                UniffiKeyLoaderBackend.openTcp(sim.address).use { pos ->
                    val reports = LinkedBlockingQueue<KeyLoadReport>()
                    pos.initListener(object : CQPOSService() {
                        override fun onKeyLoadReport(report: KeyLoadReport) {
                            reports.add(report)
                        }
                    })
                    pos.updateKeyByTR_31(4, exported)
                    val report = assertNotNull(reports.poll(20, TimeUnit.SECONDS))
                    assertTrue(report.isKcvVerified, report.toString())
                    assertEquals("MATCHED_EXPECTED", report.kcvVerification)
                    assertEquals(4, report.keyIndex)
                }
            }
        }
    }

    @Test
    fun awsFailuresArriveAsTypedExceptions() = runBlocking<Unit> {
        AwsEmulator("--throttle-first", "100").use { aws ->
            AwsKeyExporter(aws.config(maxAttempts = 1)).use { exporter ->
                assertFailsWith<AwsException.Unavailable> { exporter.exportTr31("alias/pin", "alias/kek") }
            }
        }
        AwsEmulator().use { aws ->
            AwsKeyExporter(aws.config()).use { exporter ->
                val missing = assertFailsWith<AwsException.NotFound> { exporter.exportTr31("alias/nope", "alias/kek") }
                assertContains(missing.message!!, "no such key")
            }
            AwsKeyExporter(aws.config(secret = "not-the-secret")).use { exporter ->
                assertFailsWith<AwsException.AccessDenied> { exporter.exportTr31("alias/pin", "alias/kek") }
            }
        }
        assertFailsWith<AwsException.InvalidRequest> {
            AwsKeyExporter(AwsExporterConfig(region = "us-east-1", accessKeyId = "AKIA"))
        }
    }
}
