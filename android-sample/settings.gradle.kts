// The keybridge sample POS app: `:app` (UI, Android transports) and `:core` (the app's logic, plain
// Kotlin). The bindings' Android library (bindings/kotlin/android: generated `io.keybridge` Kotlin,
// JNA, libkeybridge_ffi.so per ABI) is included as a composite build, so that it keeps its own
// plugin versions and the app always builds against the bindings next to it.
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
include(":app", ":core")

includeBuild("../bindings/kotlin/android") {
    dependencySubstitution {
        substitute(module("io.keybridge:keybridge-android")).using(project(":"))
    }
}
