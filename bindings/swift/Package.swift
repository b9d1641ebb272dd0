// swift-tools-version:5.9
// keybridge for Swift: the generated bindings (Sources/KeyBridge, committed; checked against a
// fresh generation by bindings/scripts/test-bindings.sh) over the Rust static library packaged as
// KeyBridgeFFI.xcframework by bindings/scripts/build-xcframework.sh (run it on macOS first).
import PackageDescription

let package = Package(
    name: "KeyBridge",
    platforms: [.iOS(.v15), .macOS(.v12)],
    products: [
        .library(name: "KeyBridge", targets: ["KeyBridge"]),
    ],
    targets: [
        .binaryTarget(name: "KeyBridgeFFI", path: "KeyBridgeFFI.xcframework"),
        .target(name: "KeyBridge", dependencies: ["KeyBridgeFFI"], path: "Sources/KeyBridge"),
    ]
)
