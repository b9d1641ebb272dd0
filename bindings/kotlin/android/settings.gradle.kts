// Stand-alone Gradle build of the keybridge Android library (AAR). Native libraries and the
// generated Kotlin come from ../../scripts/build-android.sh; see README there.
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

rootProject.name = "keybridge-android"
