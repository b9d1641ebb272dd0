// swift-tools-version:5.9
// keybridge for Swift, consumed by URL: .package(url: "<this repository>", from: "0.1.0"), product
// "KeyBridge". SwiftPM reads this manifest at the repository root. The sources are the generated
// bindings (bindings/swift/Sources/KeyBridge/KeyBridge.swift, committed, checked against a fresh
// generation by bindings/scripts/test-bindings.sh) and the small hand-written Dspread-style layer
// beside them; the Rust static library comes as a binary XCFramework attached to each release,
// whose URL and checksum bindings/scripts/build-xcframework.sh writes into the two lines below.
// With KEYBRIDGE_LOCAL_XCFRAMEWORK=1 in the environment, the XCFramework that script built on this
// machine (bindings/swift/KeyBridgeFFI.xcframework) is used instead.
import Foundation
import PackageDescription

let xcframeworkURL = "https://github.com/keybridge/keybridge/releases/download/0.1.0/KeyBridgeFFI.xcframework.zip"
let xcframeworkChecksum = "0000000000000000000000000000000000000000000000000000000000000000"

let ffi: Target = ProcessInfo.processInfo.environment["KEYBRIDGE_LOCAL_XCFRAMEWORK"] == nil
    ? .binaryTarget(name: "KeyBridgeFFI", url: xcframeworkURL, checksum: xcframeworkChecksum)
    : .binaryTarget(name: "KeyBridgeFFI", path: "bindings/swift/KeyBridgeFFI.xcframework")

let package = Package(
    name: "KeyBridge",
    platforms: [.iOS(.v15), .macOS(.v12)],
    products: [
        .library(name: "KeyBridge", targets: ["KeyBridge"]),
    ],
    targets: [
        ffi,
        .target(
            name: "KeyBridge",
            dependencies: ["KeyBridgeFFI"],
            path: "bindings/swift/Sources/KeyBridge",
            // What the Rust static library links against besides libSystem: libc's iconv on every
            // Apple platform; on macOS the AWS client's trust store (Security, CoreFoundation).
            linkerSettings: [
                .linkedLibrary("iconv"),
                .linkedFramework("Security", .when(platforms: [.macOS])),
                .linkedFramework("CoreFoundation", .when(platforms: [.macOS])),
            ]
        ),
    ]
)
