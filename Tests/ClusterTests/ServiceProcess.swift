import Foundation
import NIOCore
import RPC
import StoreTestSupport
import UpstreamHTTP
import Wire

/// A Switchyard executable started as its own process, the way a user starts it: `--port 0
/// --port-file`, its log in the test's folder. Found next to the test bundle (the build folder)
/// or in $SWITCHYARD_BIN_DIR.
final class ServiceProcess: @unchecked Sendable {
    let name: String
    let process: Process
    let port: Int
    let log: URL

    var address: String { "127.0.0.1:\(port)" }

    private init(name: String, process: Process, port: Int, log: URL) {
        self.name = name
        self.process = process
        self.port = port
        self.log = log
    }

    static var binDirectory: URL {
        if let dir = ProcessInfo.processInfo.environment["SWITCHYARD_BIN_DIR"] { return URL(fileURLWithPath: dir) }
        return URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
    }

    /// Starts `executable` and returns once it has written its port file (it is listening).
    static func start(_ executable: String, _ arguments: [String], name: String, in folder: URL, environment: [String: String] = [:]) async throws -> ServiceProcess {
        let portFile = folder.appendingPathComponent("\(name).port")
        let log = folder.appendingPathComponent("\(name).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = binDirectory.appendingPathComponent(executable)
        process.arguments = ["--port", "0", "--port-file", portFile.path, "--log-level", "debug"] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        // Wait as long as the process is alive and has not said where it listens (loading a
        // large dataset in a debug build on a loaded machine takes seconds); a minute at most.
        for _ in 0..<3000 {
            if let text = try? String(contentsOf: portFile, encoding: .utf8), let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                return ServiceProcess(name: name, process: process, port: port, log: log)
            }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        process.terminate()
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        throw TestFailure("\(executable) did not start:\n\(output)")
    }

    /// Set once the test stopped, killed or signalled the process itself: how it ends is then
    /// the test's to check, not the teardown's.
    private(set) var endedByTest = false

    /// SIGKILL: the process dies without a word, as a crashed replica does.
    func kill() {
        endedByTest = true
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func signal(_ signal: Int32) {
        if signal != SIGHUP { endedByTest = true }
        Foundation.kill(process.processIdentifier, signal)
    }

    /// SIGTERM and wait for the graceful exit; returns the exit status.
    @discardableResult
    func stop() -> Int32 {
        endedByTest = true
        return terminate()
    }

    /// SIGTERM (when still running) and the exit status.
    fileprivate func terminate() -> Int32 {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        return process.terminationStatus
    }

    var logText: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
}

/// Runs blocking work (waiting for a process) on a dispatch thread, off the cooperative pool.
func offloaded<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
    }
}

/// Processes started for one test, stopped when it ends (whatever happens).
final class Cluster: @unchecked Sendable {
    let folder: URL
    private var processes: [ServiceProcess] = []
    private var clients: [RPCClient] = []

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-cluster-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    /// Runs `body` with a cluster, then stops every process still running with SIGTERM: one
    /// that does not exit 0 (a crash on shutdown) fails the test.
    static func with<T>(_ body: (Cluster) async throws -> T) async throws -> T {
        let cluster = try Cluster()
        let result: T
        do {
            result = try await body(cluster)
        } catch {
            let logs = cluster.processes.map { "--- \($0.name) ---\n\($0.logText.suffix(3000))" }.joined(separator: "\n")
            _ = await cluster.tearDown()
            throw TestFailure("\(error)\n\(logs)")
        }
        let unclean = await cluster.tearDown()
        guard unclean.isEmpty else {
            throw TestFailure("did not shut down cleanly on SIGTERM:\n" + unclean.map { "--- \($0.name): \($0.exit) ---\n\($0.log.suffix(3000))" }.joined(separator: "\n"))
        }
        return result
    }

    /// A gateway's OpenAI front door (base URL …/v1), its port read from `portFile` in the
    /// cluster's folder (the gateway's --openai-port-file).
    func frontDoor(portFile: String) throws -> HTTPEndpoint {
        let port = try String(contentsOf: folder.appendingPathComponent(portFile), encoding: .utf8)
        return try HTTPEndpoint("http://127.0.0.1:\(port.trimmingCharacters(in: .whitespacesAndNewlines))/v1")
    }

    /// Writes `token` to a file in the cluster's folder and returns its path.
    func tokenFile(_ name: String, _ token: String) throws -> String {
        let path = folder.appendingPathComponent(name).path
        try (token + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func start(_ executable: String, _ arguments: [String] = [], name: String? = nil, environment: [String: String] = [:]) async throws -> ServiceProcess {
        let service = try await ServiceProcess.start(
            executable, arguments, name: name ?? "\(executable)-\(processes.count)", in: folder, environment: environment)
        processes.append(service)
        return service
    }

    func client(_ service: ServiceProcess, timeout: Duration = .seconds(10), connections: Int = 1, token: String? = nil) throws -> RPCClient {
        try client(service.address, timeout: timeout, connections: connections, token: token)
    }

    func client(_ address: String, timeout: Duration = .seconds(10), connections: Int = 1, token: String? = nil) throws -> RPCClient {
        let client = RPCClient(
            address: try ServiceAddress(parsing: address),
            configuration: .init(connectTimeout: .seconds(2), defaultTimeout: timeout, connections: connections, authToken: token))
        clients.append(client)
        return client
    }

    /// Polls Health until SERVING (servers answer NOT_SERVING while they cannot serve yet).
    func waitUntilServing(_ service: ServiceProcess, seconds: Double = 20) async throws {
        let client = try client(service, timeout: .seconds(1))
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while ContinuousClock.now < deadline {
            if let health = try? await client.call(Methods.health, HealthRequest()), health.status == .serving { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("\(service.name) not SERVING after \(seconds) s")
    }

    /// Runs a command line tool to completion: its exit status, standard output and standard error.
    /// The waiting happens on a thread of its own: blocking Swift's few cooperative threads would
    /// starve every other test running at the same time.
    /// With `directory`, the tool runs there (by default: where the tests run, the repository).
    static func capture(_ executable: String, _ arguments: [String], in directory: URL? = nil) async throws -> (status: Int32, output: String, errors: String) {
        try await offloaded { try captureBlocking(executable, arguments, in: directory) }
    }

    private static func captureBlocking(_ executable: String, _ arguments: [String], in directory: URL?) throws -> (status: Int32, output: String, errors: String) {
        let process = Process()
        process.executableURL = ServiceProcess.binDirectory.appendingPathComponent(executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let (output, errors) = (Pipe(), Pipe())
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Read stderr on the side so neither pipe can fill up and block the tool.
        nonisolated(unsafe) var errorData = Data()
        let reader = Thread { errorData = errors.fileHandleForReading.readDataToEndOfFile() }
        reader.start()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !reader.isFinished { Thread.sleep(forTimeInterval: 0.01) }
        return (process.terminationStatus, String(decoding: outputData, as: UTF8.self), String(decoding: errorData, as: UTF8.self))
    }

    /// Closes the clients and SIGTERMs the processes still running (last started first);
    /// returns those that did not exit 0 (on SIGTERM, or by themselves during the test), with
    /// how they ended and their logs. Processes the test stopped or killed itself are its own
    /// business.
    func tearDown() async -> [(name: String, exit: String, log: String)] {
        for client in clients { await client.close() }
        let ours = processes.reversed().filter { !$0.endedByTest }
        let unclean = (try? await offloaded {
            ours.compactMap { service -> (name: String, exit: String, log: String)? in
                let status = service.terminate()
                let crashed = service.process.terminationReason == .uncaughtSignal
                guard status != 0 || crashed else { return nil }
                return (service.name, crashed ? "killed by signal \(status)" : "exit status \(status)", service.logText)
            }
        }) ?? []
        if unclean.isEmpty { try? FileManager.default.removeItem(at: folder) }
        return unclean
    }
}

/// Files of the repository (bundled data).
enum Repository {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }
}

/// Router files trained with the real `switchyard train`, once per test run and seed.
actor RouterFiles {
    static let shared = RouterFiles()
    /// One training per seed, shared by every test that asks (even while it is still running).
    private var trained: [Int: Task<String, any Error>] = [:]
    private let folder = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-routers-\(UUID().uuidString)")

    /// A router trained on the bundled GSM8K data, k = 8, seed `seed`, copied into the cluster's folder.
    static func gsm8k(seed: Int = 42, in cluster: Cluster) async throws -> String {
        let path = try await shared.gsm8k(seed: seed)
        let copy = cluster.folder.appendingPathComponent("router-\(seed).bin").path
        if !FileManager.default.fileExists(atPath: copy) { try FileManager.default.copyItem(atPath: path, toPath: copy) }
        return copy
    }

    private func gsm8k(seed: Int) async throws -> String {
        if let training = trained[seed] { return try await training.value }
        let out = folder.appendingPathComponent("router-\(seed).bin").path
        let folder = self.folder
        let training = Task {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let (status, output, errors) = try await Cluster.capture("switchyard", [
                "train", "--data", Repository.path("data/routellm/gsm8k.jsonl.gz"), "--prices", Repository.path("data/prices.json"),
                "--knob", "cluster.k=8", "--seed", "\(seed)", "--out", out,
            ])
            guard status == 0 else { throw TestFailure("switchyard train failed:\n\(output)\(errors)") }
            return out
        }
        trained[seed] = training
        return try await training.value
    }
}
