plugins {
    alias(libs.plugins.android.application)
    alias(libs.plugins.kotlin.android)
    alias(libs.plugins.kotlin.compose)
}

android {
    namespace = "io.keybridge.sample"
    compileSdk = 34

    defaultConfig {
        applicationId = "io.keybridge.sample"
        minSdk = 26
        targetSdk = 34
        versionCode = 1
        versionName = "0.1"
        // The key service (`keybridge serve`) the sign-in form starts with; the operator may change
        // it. Set it in ~/.gradle/gradle.properties or with -PkeybridgeServiceUrl=https://…
        buildConfigField("String", "SERVICE_URL", "\"${findProperty("keybridgeServiceUrl") ?: ""}\"")
    }

    buildFeatures {
        compose = true
        buildConfig = true
    }

    buildTypes {
        release {
            isMinifyEnabled = true
            // keybridge-android ships consumer rules that keep JNA and the generated bindings.
            proguardFiles(getDefaultProguardFile("proguard-android-optimize.txt"))
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
}

kotlin { jvmToolchain(17) }

dependencies {
    implementation(project(":core"))
    implementation(libs.androidx.core)
    implementation(platform(libs.compose.bom))
    implementation(libs.compose.ui)
    implementation(libs.compose.material3)
    implementation(libs.androidx.activity.compose)
    implementation(libs.androidx.lifecycle.viewmodel.compose)
    implementation(libs.androidx.lifecycle.runtime.compose)
}
