// swift-tools-version:6.0
import PackageDescription

let nio: [Target.Dependency] = [
    .product(name: "NIOCore", package: "swift-nio"),
    .product(name: "NIOPosix", package: "swift-nio"),
]
let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")
/// The modules every request passes through (frames, connections, the coordinator's relay):
/// release builds skip the run-time exclusivity checks, which were 8% of the coordinator's CPU
/// per request (each access to a handler's stored state). Debug builds, which the tests run,
/// keep them, so a violation still fails there.
let hotPath: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "Switchyard",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "switchyard", targets: ["SwitchyardCLI"]),
        .executable(name: "switchyard-embed", targets: ["SwitchyardEmbed"]),
        .executable(name: "switchyard-router", targets: ["SwitchyardRouter"]),
        .executable(name: "switchyard-coordinator", targets: ["SwitchyardCoordinator"]),
        .executable(name: "switchyard-gateway", targets: ["SwitchyardGateway"]),
        .executable(name: "switchyard-load", targets: ["SwitchyardLoad"]),
        .executable(name: "switchyard-learner", targets: ["SwitchyardLearner"]),
        .executable(name: "switchyard-bench", targets: ["SwitchyardBench"]),
        .library(name: "Wire", targets: ["Wire"]),
        .library(name: "RPC", targets: ["RPC"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
    ],
    targets: [
        // C libraries and the protobuf-c code generated from proto/ (scripts/gen-proto.sh).
        .systemLibrary(
            name: "CProtobufC", pkgConfig: "libprotobuf-c",
            providers: [.apt(["libprotobuf-c-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CPostgres", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .target(name: "CSwitchyardProto", dependencies: ["CProtobufC"]),
        // zlib streams (frames, router files, gzip data files), reused between messages.
        .target(name: "Zlib", dependencies: ["CZlib"]),

        // Swift values <-> protobuf-c, frames, zlib, and the NIO codec handlers.
        .target(
            name: "Wire",
            dependencies: ["CSwitchyardProto", "CProtobufC", "Zlib", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: hotPath),
        // The life of a listening server (bind once, shut down once) as a state machine.
        .target(name: "Lifecycles", dependencies: [.product(name: "NIOCore", package: "swift-nio")]),
        // Connections: the RPC server and client.
        .target(
            name: "RPC",
            dependencies: ["Wire", "Lifecycles", logging, .product(name: "Metrics", package: "swift-metrics"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")] + nio,
            swiftSettings: hotPath),
        // A small HTTP/1.1 server: metrics endpoints, the gateway's OpenAI front door, test upstreams.
        .target(
            name: "HTTPKit",
            dependencies: ["Lifecycles", logging, .product(name: "NIOHTTP1", package: "swift-nio"),
                           .product(name: "NIOExtras", package: "swift-nio-extras"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")] + nio),
        // HTTP calls to other servers (model upstreams, remote embedders) through async-http-client:
        // http and https (system trust store, or a CA file per endpoint), pooled connections,
        // deadlines, streamed answers.
        .target(
            name: "UpstreamHTTP",
            dependencies: [.product(name: "AsyncHTTPClient", package: "async-http-client"),
                           .product(name: "NIOSSL", package: "swift-nio-ssl"),
                           .product(name: "NIOHTTP1", package: "swift-nio")] + nio),
        // What every service executable shares: flags, logging, Health/Status, metrics, lifecycle.
        .target(
            name: "ServiceKit",
            dependencies: ["RPC", "Wire", "HTTPKit", logging,
                           .product(name: "Metrics", package: "swift-metrics"),
                           .product(name: "Prometheus", package: "swift-prometheus"),
                           .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")] + nio),

        // The routing hot loop (query . every centroid) in C: AVX2/FMA where the CPU has it.
        .target(name: "CVectorKernels", cSettings: [.unsafeFlags(["-O2"])]),
        // Pure routing: vectors, k-means, the hash embedder, routers, evaluation metrics. No I/O.
        // Optimized in debug builds too: training a router at -O0 is ~20x slower (MMLU's cluster
        // router: 77 s against 3 s), and the tests train and evaluate routers.
        .target(
            name: "RouterCore", dependencies: ["CVectorKernels", "COpenBLAS"],
            swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]),
        // all-MiniLM-L6-v2 natively: WordPiece, the BERT encoder on packed AVX-512/AVX2 kernels, mean pooling.
        // Optimized in debug builds too: at -O0 the encoder is ~30x slower, and the tests embed.
        .target(name: "CTransformerKernels", cSettings: [.unsafeFlags(["-O2"])]),
        .target(name: "MiniLM", dependencies: ["CTransformerKernels"]),
        // The flags of every command and service that embeds with MiniLM.
        .target(name: "EmbeddingOptions", dependencies: ["MiniLM", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        // Data files: the JSONL dataset format, price tables, converters from published results.
        .target(name: "Datasets", dependencies: ["RouterCore", "Zlib"]),
        // Router files: a trained router as a zlib-compressed protobuf-c message.
        .target(name: "RouterFile", dependencies: ["RouterCore", "Wire", "Zlib"]),

        // The outcome store: records of answers, feedback and spend, on SQLite (the C API) or
        // PostgreSQL (libpq), written in batches on a thread of its own.
        .target(name: "Store", dependencies: ["CSQLite", "CPostgres", "Wire", logging]),

        // The embedding service's logic: the Embed handler and its LRU cache.
        .target(name: "EmbeddingService", dependencies: ["RouterCore", "MiniLM", "RPC", "Wire", "UpstreamHTTP"] + nio),

        // The router service's logic: Route/Reload over a swappable router model, prompt embedding,
        // registration with a coordinator.
        .target(
            name: "RouterService",
            dependencies: ["RouterCore", "RouterFile", "RPC", "Wire", logging,
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                           .product(name: "UnixSignals", package: "swift-service-lifecycle")] + nio),

        // The coordinator's logic: replica pool, health checks, round-robin forwarding with retries.
        .target(
            name: "Coordinator",
            dependencies: ["RPC", "Wire", logging,
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")] + nio,
            swiftSettings: hotPath),

        // The gateway's logic: upstream configuration, OpenAI-compatible and replay upstreams,
        // Complete with routing, fallback and cost accounting.
        .target(
            name: "Gateway",
            dependencies: ["RPC", "Wire", "HTTPKit", "UpstreamHTTP", "Datasets", "Store", logging,
                           .product(name: "Metrics", package: "swift-metrics"), .product(name: "NIOHTTP1", package: "swift-nio")] + nio),

        // The learner: online learning from the store's scores, router versions pushed to replicas.
        .target(
            name: "Learner",
            dependencies: ["RouterCore", "RouterFile", "Store", "Gateway", "RPC", "Wire", logging,
                           .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .product(name: "Metrics", package: "swift-metrics"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")]),

        // The load generator: closed and open loop over NIO, HdrHistogram latencies, reports.
        .target(
            name: "LoadTest",
            dependencies: ["RPC", "Wire", .product(name: "Histogram", package: "hdrhistogram-swift")] + nio),

        .executableTarget(
            name: "SwitchyardLoad",
            dependencies: ["LoadTest", "RPC", "Wire", "Datasets", "RouterCore", "ServiceKit",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(
            name: "SwitchyardGateway",
            dependencies: ["ServiceKit", "RPC", "Wire", "Gateway", "HTTPKit", "Store",
                           .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")] + nio),
        .executableTarget(
            name: "SwitchyardLearner",
            dependencies: ["Learner", "ServiceKit", "RPC", "RouterCore", "RouterFile", "Store", logging,
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(
            name: "SwitchyardCoordinator",
            dependencies: ["ServiceKit", "RPC", "Wire", "Coordinator",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")] + nio),
        .executableTarget(
            name: "SwitchyardRouter",
            dependencies: ["ServiceKit", "RPC", "Wire", "RouterService", logging,
                           .product(name: "ArgumentParser", package: "swift-argument-parser")] + nio),
        .executableTarget(
            name: "SwitchyardEmbed",
            dependencies: ["ServiceKit", "RPC", "Wire", "EmbeddingService", "EmbeddingOptions", "MiniLM", "RouterCore", "UpstreamHTTP",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(
            name: "SwitchyardCLI",
            dependencies: ["RPC", "Wire", "ServiceKit", "RouterCore", "RouterService", "MiniLM", "EmbeddingOptions", "Datasets", "RouterFile", "Store", "Learner", "UpstreamHTTP", .product(name: "ArgumentParser", package: "swift-argument-parser")] + nio),
        .executableTarget(
            name: "SwitchyardBench",
            dependencies: ["RPC", "Wire", "ServiceKit", "RouterCore", "Datasets", "MiniLM", "EmbeddingOptions", .product(name: "ArgumentParser", package: "swift-argument-parser")] + nio),

        .testTarget(
            name: "WireTests",
            dependencies: ["Wire", "Zlib", .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOEmbedded", package: "swift-nio")]),
        .testTarget(name: "RouterCoreTests", dependencies: ["RouterCore", "Datasets"]),
        .testTarget(name: "ZlibTests", dependencies: ["Zlib"]),
        .testTarget(name: "LearnerTests", dependencies: ["Learner", "RouterCore", "Store"]),
        // What the store's tests and the gateway's share: fresh SQLite files, PostgreSQL schemas.
        .target(name: "StoreTestSupport", dependencies: ["Store"], path: "Tests/StoreTestSupport"),
        .testTarget(name: "StoreTests", dependencies: ["Store", "StoreTestSupport", "Wire", logging]),
        .testTarget(name: "MiniLMTests", dependencies: ["MiniLM"], exclude: ["Fixtures"]),
        .testTarget(name: "EmbeddingServiceTests", dependencies: ["EmbeddingService", "MiniLM", "RouterCore", "RPC", "Wire", "HTTPKit", "UpstreamHTTP", logging]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "RouterCore", "RouterFile"]),
        // End to end: the executables as processes (they must be built: `swift build`).
        .testTarget(
            name: "ClusterTests",
            dependencies: ["RPC", "Wire", "HTTPKit", "UpstreamHTTP", "Zlib", "Store", "StoreTestSupport", "Datasets", logging] + nio, exclude: ["Fixtures"]),
        .testTarget(name: "CoordinatorTests", dependencies: ["Coordinator", "RPC", "Wire", logging]),
        .testTarget(
            name: "RouterServiceTests",
            dependencies: ["RouterService", "EmbeddingService", "RouterCore", "RouterFile", "RPC", "Wire", logging]),
        .testTarget(name: "GatewayServiceTests", dependencies: ["Gateway", "Store", "StoreTestSupport", "RPC", "Wire", "HTTPKit", "UpstreamHTTP", logging, .product(name: "NIOHTTP1", package: "swift-nio")]),
        .testTarget(
            name: "ServiceKitTests",
            dependencies: ["ServiceKit", "RPC", "Wire", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .testTarget(name: "HTTPKitTests", dependencies: ["HTTPKit", "UpstreamHTTP", logging]),
        .testTarget(
            name: "LifecyclesTests",
            dependencies: ["Lifecycles", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio")]),
        .testTarget(name: "LoadTestTests", dependencies: ["LoadTest", "RPC", "Wire", logging]),
        .testTarget(
            name: "RPCTests",
            dependencies: ["RPC", "Wire", "ServiceKit", logging, .product(name: "NIOEmbedded", package: "swift-nio")] + nio),
    ],
    swiftLanguageModes: [.v6]
)
