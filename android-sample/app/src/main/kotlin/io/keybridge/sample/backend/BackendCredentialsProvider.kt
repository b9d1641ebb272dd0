package io.keybridge.sample.backend

import io.keybridge.sample.core.CredentialsProvider
import io.keybridge.sample.core.SessionCredentials
import java.net.HttpURLConnection
import java.net.URL
import java.time.Instant
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext
import org.json.JSONObject

/**
 * Gets short-lived AWS credentials from the app's own backend. The backend authenticates the
 * operator ([operatorToken], from your sign-in) and answers with STS session credentials for a
 * role that may only call `ExportKey` on the keys this operator may load, e.g. (minutes-long):
 *
 *     POST {baseUrl}/aws-credentials   Authorization: Bearer <operator token>
 *     200 {"accessKeyId":"ASIA…","secretAccessKey":"…","sessionToken":"…","expiration":"2025-01-01T12:15:00Z"}
 *
 * No AWS key is ever compiled into the APK.
 */
class BackendCredentialsProvider(
    private val baseUrl: String,
    private val operatorToken: () -> String,
) : CredentialsProvider {
    override suspend fun credentials(): SessionCredentials = withContext(Dispatchers.IO) {
        val connection = URL("${baseUrl.trimEnd('/')}/aws-credentials").openConnection() as HttpURLConnection
        try {
            connection.requestMethod = "POST"
            connection.connectTimeout = 10_000
            connection.readTimeout = 10_000
            connection.setRequestProperty("Authorization", "Bearer ${operatorToken()}")
            val status = connection.responseCode
            if (status != HttpURLConnection.HTTP_OK) error("the backend answered HTTP $status")
            val json = JSONObject(connection.inputStream.bufferedReader().use { it.readText() })
            SessionCredentials(
                accessKeyId = json.getString("accessKeyId"),
                secretAccessKey = json.getString("secretAccessKey"),
                sessionToken = json.getString("sessionToken"),
                expiration = Instant.parse(json.getString("expiration")),
            )
        } finally {
            connection.disconnect()
        }
    }
}
