// swift-tools-version:6.0
import PackageDescription

// OpenCV 4.6 and dlib 19.24 come from Debian (libopencv-dev, libdlib-dev). Only the modules we call are linked:
// pkg-config's full list pulls in Qt and VTK (375 shared libraries, 0.25 s start-up measured).
let openCVModules = ["opencv_core", "opencv_imgproc", "opencv_imgcodecs", "opencv_dnn", "opencv_calib3d",
                     "opencv_objdetect", "opencv_videoio", "opencv_video"]

let package = Package(
    name: "Mien",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Mien", targets: ["Mien"]),
        .executable(name: "mien", targets: ["MienCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
        // `mien serve` (docs/SERVER.md): HTTP, WebSocket, bearer keys, graceful shutdown, Prometheus metrics.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.0"),
    ],
    targets: [
        // The only code that includes OpenCV or dlib. Plain C header, C++17 inside, no exception crosses it.
        .target(
            name: "CMienVision",
            cxxSettings: [
                .unsafeFlags(["-I/usr/include/opencv4", "-O2", "-fexceptions"]),
            ],
            linkerSettings: openCVModules.map { .linkedLibrary($0) } + [
                .linkedLibrary("dlib"), .linkedLibrary("blas"), .linkedLibrary("lapack"),
                .linkedLibrary("stdc++"),
            ]
        ),
        // Audio decoding (FFmpeg's libraries from Debian): any file or video soundtrack → 16 kHz mono floats.
        .target(
            name: "CMienAudio",
            cSettings: [.unsafeFlags(["-O2"])],
            linkerSettings: [
                .linkedLibrary("avformat"), .linkedLibrary("avcodec"), .linkedLibrary("avutil"),
                .linkedLibrary("swresample"),
            ]
        ),
        // Value types, protocols, measures, policy: pure Swift, no OpenCV, no I/O of its own.
        .target(name: "MienCore"),
        .target(name: "MienVision", dependencies: ["MienCore", "CMienVision"]),
        // -Ounchecked in release: the per-frame DSP loops (FFT, YIN, decimation) lose their bounds checks (measured
        // part of the 200x-real-time budget); debug builds and tests keep every check.
        .target(name: "MienVoice", dependencies: ["MienCore", "MienVision", "CMienAudio"],
                swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]),
        .target(name: "MienReport", dependencies: ["MienCore"]),
        .target(name: "MienStore", dependencies: [
            "MienCore",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // The scale-out job store of `mien batch --postgres` / `mien worker` (docs/BATCH.md).
        .target(name: "MienPostgres", dependencies: [
            "MienStore",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The front door: Analyzer, VideoAnalyzer, VoiceAnalyzer. CLI and server call exactly these.
        .target(name: "Mien", dependencies: ["MienCore", "MienVision", "MienVoice", "MienReport", "MienStore",
                                             "MienPostgres"]),
        // `mien serve`: routes, keys, limits and encoding only; every analysis goes through Mien's front door.
        .target(name: "MienServer", dependencies: [
            "Mien", "MienStore",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
            .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The CLI sees the front door only, and the server it starts (Mien re-exports Core's value types and the report
        // encoders).
        .executableTarget(name: "MienCLI", dependencies: [
            "Mien", "MienServer",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // What the test targets share: the one process runner, sample and fixture paths, fake stages.
        .target(name: "MienTesting", dependencies: ["Mien", "MienCore", "MienVision", "MienStore"]),
        .testTarget(name: "MienCoreTests", dependencies: ["MienCore"]),
        .testTarget(name: "MienVisionTests", dependencies: ["MienVision", "Mien", "MienTesting"]),
        .testTarget(name: "MienStoreTests", dependencies: ["MienStore", "MienTesting"]),
        .testTarget(name: "MienVoiceTests", dependencies: ["MienVoice", "Mien"]),
        .testTarget(name: "MienTests", dependencies: ["Mien", "MienCLI", "MienPostgres", "MienTesting"]),
        .testTarget(name: "MienServerTests", dependencies: [
            "MienServer", "MienTesting",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
        ], exclude: ["Browser"]),
    ],
    cxxLanguageStandard: .cxx17
)
