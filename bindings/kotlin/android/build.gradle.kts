// keybridge for Android: the uniffi Kotlin bindings (package io.keybridge, over JNA), the
// Dspread-compatible Java API (io.keybridge.dspread) and the JNI layer (io.keybridge.jni), over one
// native library per ABI (libkeybridge_ffi.so: uniffi and JNI entry points, one Rust core).
//
// Build: bindings/scripts/build-android.sh (cargo ndk → jniLibs/<variant>, uniffi-bindgen →
// the Android flavour of the generated Kotlin), then `gradle assembleRelease` here, or
// `gradle publishReleasePublicationToLocalRepository` for a Maven layout in build/repo.
// `-Pkeybridge.variant=lean` packages the lean library (no AWS) as keybridge-android-lean.
plugins {
    id("com.android.library") version "8.5.2"
    id("org.jetbrains.kotlin.android") version "2.4.21"
    `maven-publish`
}

val repoRoot = rootDir.resolve("../../..")
val variant = providers.gradleProperty("keybridge.variant").getOrElse("full")
require(variant == "full" || variant == "lean") { "keybridge.variant is full or lean, not $variant" }
// Where build-android.sh leaves each variant's generated Kotlin (from a library built with the same features).
val generatedKotlin = if (variant == "lean") "target/lean/bindings/kotlin-android" else "target/bindings/kotlin-android"

group = "io.keybridge"
version = "0.1.0"

android {
    namespace = "io.keybridge"
    compileSdk = 34

    defaultConfig {
        minSdk = 24
        consumerProguardFiles("consumer-rules.pro")
    }

    sourceSets["main"].apply {
        // Generated at build time with `android = true`; not committed.
        kotlin.srcDir(repoRoot.resolve(generatedKotlin))
        kotlin.srcDir(repoRoot.resolve("bindings/kotlin/src/main/kotlin"))
        if (variant == "full") kotlin.srcDir(repoRoot.resolve("bindings/kotlin/src/aws/kotlin"))
        java.srcDir(repoRoot.resolve("bindings/jni/java/src/main/java"))
        jniLibs.srcDir("jniLibs/$variant")
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    publishing {
        singleVariant("release") {
            withSourcesJar()
        }
    }
}

kotlin {
    jvmToolchain(17)
}

dependencies {
    // The same versions as the JVM artifacts (the root pom.xml): Kotlin 2.4.21, coroutines 1.11.0, JNA 5.17.0.
    // The AAR flavour ships JNA's libjnidispatch.so for every ABI; 5.17 is the first whose
    // libraries are 16 KB-aligned (Android 15+ devices with 16 KB pages, Play's requirement).
    implementation("net.java.dev.jna:jna:5.17.0@aar")
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.11.0")
    implementation("androidx.annotation:annotation:1.8.2")
}

publishing {
    publications {
        register<MavenPublication>("release") {
            groupId = "io.keybridge"
            artifactId = if (variant == "lean") "keybridge-android-lean" else "keybridge-android"
            version = project.version.toString()
            afterEvaluate { from(components["release"]) }
            pom {
                name.set("keybridge for Android")
                description.set("TR-31 key blocks from AWS Payment Cryptography into Dspread QPOS readers")
                licenses { license { name.set("Apache-2.0") } }
            }
        }
    }
    repositories {
        maven {
            name = "local"
            url = uri(layout.buildDirectory.dir("repo"))
        }
    }
}
