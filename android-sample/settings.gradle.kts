// The keybridge sample POS app. `:keybridge-android` is the bindings' Android library (the AAR:
// generated `io.keybridge` Kotlin, JNA, and libkeybridge_ffi.so per ABI built with cargo-ndk),
// taken from the repository so that the app always builds against the bindings next to it.
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "keybridge-sample"
include(":app", ":core", ":keybridge-android")
project(":keybridge-android").projectDir = file("../bindings/kotlin/android")
