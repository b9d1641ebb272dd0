// The app's logic. Its code imports nothing from android.*: scripts/test-core.sh compiles it with Maven
// (pom.xml beside this file) against the host-JVM flavour of the bindings and tests it against the reader
// simulator. It is an Android library only because the bindings it calls are one (the AAR with
// the native library); a JVM module cannot depend on an AAR.
plugins {
    alias(libs.plugins.android.library)
    alias(libs.plugins.kotlin.android)
}

android {
    namespace = "io.keybridge.sample.core"
    compileSdk = 34
    defaultConfig { minSdk = 26 }
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    // src/test runs on the host through scripts/test-core.sh (it needs the host build of
    // libkeybridge_ffi and the `keybridge` CLI), not through Gradle's unit-test task.
    sourceSets["test"].kotlin.setSrcDirs(emptyList<String>())
}

kotlin { jvmToolchain(17) }

dependencies {
    // Substituted by the included build ../bindings/kotlin/android (see settings.gradle.kts).
    api("io.keybridge:keybridge-android:0.1.0")
    api(libs.kotlinx.coroutines.android)
}
