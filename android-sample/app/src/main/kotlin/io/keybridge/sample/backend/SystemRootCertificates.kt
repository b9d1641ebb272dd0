package io.keybridge.sample.backend

import android.util.Base64
import java.security.KeyStore

/**
 * The platform's trusted CA roots as one PEM bundle, for keybridge's native HTTPS client to the key
 * service: native code cannot read Android's trust store, so the app hands it over. Only system roots are taken
 * (not user-installed ones), and roots the user disabled are absent from the store.
 */
object SystemRootCertificates {
    fun pem(): ByteArray {
        val store = KeyStore.getInstance("AndroidCAStore").apply { load(null) }
        return store.aliases().asSequence()
            .filter { it.startsWith("system:") }
            .mapNotNull { store.getCertificate(it)?.encoded }
            .joinToString("") { der ->
                "-----BEGIN CERTIFICATE-----\n${Base64.encodeToString(der, Base64.DEFAULT)}-----END CERTIFICATE-----\n"
            }
            .toByteArray()
    }
}
