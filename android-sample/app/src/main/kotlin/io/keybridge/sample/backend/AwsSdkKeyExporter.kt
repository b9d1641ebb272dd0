package io.keybridge.sample.backend

import aws.sdk.kotlin.runtime.auth.credentials.StaticCredentialsProvider
import aws.sdk.kotlin.services.paymentcryptography.PaymentCryptographyClient
import aws.sdk.kotlin.services.paymentcryptography.exportKey
import aws.sdk.kotlin.services.paymentcryptography.model.ExportKeyMaterial
import aws.sdk.kotlin.services.paymentcryptography.model.ExportTr31KeyBlock
import aws.sdk.kotlin.services.paymentcryptography.model.KeyCheckValueAlgorithm
import io.keybridge.sample.core.ErrorKind
import io.keybridge.sample.core.ExpectedKcv
import io.keybridge.sample.core.ExportRequest
import io.keybridge.sample.core.ExportedKey
import io.keybridge.sample.core.KeyExporter
import io.keybridge.sample.core.KeySourceException
import io.keybridge.sample.core.SessionCredentials

/**
 * `ExportKey` (TR-31, under the reader's KEK) with the AWS SDK for Kotlin and the session
 * credentials from the backend. keybridge then validates the block before anything reaches the
 * reader. When the bindings expose keybridge's own exporter (`AwsKeyExporter`), this class is the
 * one to swap: the session only sees [KeyExporter].
 */
class AwsSdkKeyExporter : KeyExporter {
    override suspend fun export(request: ExportRequest, credentials: SessionCredentials): ExportedKey {
        val session = StaticCredentialsProvider {
            accessKeyId = credentials.accessKeyId
            secretAccessKey = credentials.secretAccessKey
            sessionToken = credentials.sessionToken
        }
        return PaymentCryptographyClient {
            region = request.region
            credentialsProvider = session
        }.use { client ->
            val wrapped = client.exportKey {
                exportKeyIdentifier = request.keyIdentifier
                keyMaterial = ExportKeyMaterial.Tr31KeyBlock(
                    ExportTr31KeyBlock { wrappingKeyIdentifier = request.wrappingKeyIdentifier },
                )
            }.wrappedKey ?: throw KeySourceException(ErrorKind.AWS_EXPORT, "ExportKey returned no wrapped key")
            ExportedKey(
                keyBlock = wrapped.keyMaterial,
                kcv = wrapped.keyCheckValue?.let {
                    ExpectedKcv(it.uppercase(), legacy = wrapped.keyCheckValueAlgorithm == KeyCheckValueAlgorithm.AnsiX9_24, origin = "AWS")
                },
            )
        }
    }
}
