package io.keybridge.sample.core

import io.keybridge.AwsException
import io.keybridge.AwsExporterConfig
import io.keybridge.AwsKeyExporter
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext

/**
 * [KeyExporter] over keybridge's own exporter (`AwsKeyExporter`: the AWS SDK inside the native
 * library, which also checks the returned block against the key's attributes). A client is built
 * per export because each export brings fresh short-lived credentials.
 *
 * [rootCertificatesPem]: the CA roots to trust as PEM, needed on Android where native code cannot
 * read the platform's store (read off the caller's thread, per export); [endpointUrl]: a VPC
 * endpoint, or the emulator in tests.
 */
class KeybridgeAwsExporter(
    private val endpointUrl: String? = null,
    private val rootCertificatesPem: (() -> ByteArray)? = null,
    private val io: CoroutineDispatcher = Dispatchers.IO,
) : KeyExporter {
    override suspend fun export(request: ExportRequest, credentials: SessionCredentials): ExportedKey {
        try {
            // Building the SDK client is synchronous: keep it off the caller's thread.
            val exporter = withContext(io) {
                AwsKeyExporter(
                    AwsExporterConfig(
                        region = request.region,
                        endpointUrl = endpointUrl,
                        accessKeyId = credentials.accessKeyId,
                        secretAccessKey = credentials.secretAccessKey,
                        sessionToken = credentials.sessionToken,
                        rootCertificatesPem = rootCertificatesPem?.invoke(),
                    ),
                )
            }
            val exported = exporter.use {
                it.exportTr31(request.keyIdentifier, request.wrappingKeyIdentifier)
            }
            // The reader reports a legacy KCV; AWS's is comparable only for TDES keys.
            val comparable = exported.readerComparableKcv
            val kcv = ExpectedKcv(
                hex = comparable?.joinToString("") { "%02X".format(it) } ?: exported.kcv,
                legacy = comparable != null,
                origin = "AWS ${exported.kcvAlgorithm}",
            )
            return ExportedKey(exported.keyBlock, kcv)
        } catch (e: AwsException) {
            val kind = if (e is AwsException.AccessDenied) ErrorKind.CREDENTIALS else ErrorKind.AWS_EXPORT
            throw KeySourceException(kind, e.message ?: e.javaClass.simpleName, e)
        }
    }
}
