// keybridge for Android: the uniffi Kotlin bindings (package io.keybridge, over JNA), the
// Dspread-compatible Java API (io.keybridge.dspread) and the JNI layer (io.keybridge.jni), with
// libkeybridge_ffi.so and libkeybridge_jni.so per ABI.
//
// Build: bindings/scripts/build-android.sh (cargo ndk → src/main/jniLibs, uniffi-bindgen →
// target/bindings/kotlin-android), then `gradle assembleRelease` here.
plugins {
    id("com.android.library") version "8.5.2"
    id("org.jetbrains.kotlin.android") version "2.0.20"
}

val repoRoot = rootDir.resolve("../../..")

android {
    namespace = "io.keybridge"
    compileSdk = 34

    defaultConfig {
        minSdk = 24
        consumerProguardFiles("consumer-rules.pro")
    }

    sourceSets["main"].apply {
        // Generated at build time with `android = true`; not committed.
        kotlin.srcDir(repoRoot.resolve("target/bindings/kotlin-android"))
        kotlin.srcDir(repoRoot.resolve("bindings/kotlin/src/main/kotlin"))
        java.srcDir(repoRoot.resolve("bindings/jni/java/src/main/java"))
        jniLibs.srcDir("src/main/jniLibs")
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
}

kotlin {
    jvmToolchain(17)
}

dependencies {
    // The AAR flavour ships JNA's own libjnidispatch.so for every ABI.
    implementation("net.java.dev.jna:jna:5.13.0@aar")
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.8.1")
    implementation("androidx.annotation:annotation:1.8.2")
}
