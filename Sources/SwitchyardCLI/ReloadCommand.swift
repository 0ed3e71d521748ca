import ArgumentParser
import Foundation
import RPC
import RouterFile
import ServiceKit
import Wire

/// `switchyard reload ADDRESS`: has a router, or through a coordinator every router replica,
/// load its router file again (or the file at `--path`), and prints what each serves now. With
/// `--expect FILE` it repeats until every replica serves that file's version (a Kubernetes
/// ConfigMap reaches the pods a minute or so after it changed) or `--wait` passes.
struct ReloadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Reload the router file on a router, or on every replica behind a coordinator (needs the admin token).")

    @Argument(help: "A router's or a coordinator's address, host:port.")
    var address: ServiceAddress

    @Option(help: "File holding the admin token (the services' --admin-token-file): only it may Reload.")
    var adminTokenFile: String?

    @Option(help: "The router file to load, as the routers see it (default: the file each was started with).")
    var path: String?

    @Option(help: "A copy of the router file every replica should end up serving: reload until each serves its version.")
    var expect: String?

    @Option(help: "With --expect: how long to keep reloading (seconds, or e.g. 90s).")
    var wait: Duration = .seconds(120)

    @Option(help: "How long one Reload may take (seconds).")
    var timeout: Duration = .seconds(60)

    func run() async throws {
        let expected = try expect.map { file -> String in
            do { return try RouterFile.load(file).version } catch { throw ValidationError("--expect: \(error)") }
        }
        let token = try adminTokenFile.map { file -> String in
            do { return try Authentication.token(fromFile: file) } catch { throw ValidationError("--admin-token-file: \(error)") }
        }
        let client = RPCClient(address: address, configuration: .init(connectTimeout: .seconds(2), defaultTimeout: timeout, authToken: token))
        defer { Task { await client.close() } }
        let giveUp = ContinuousClock.now + wait
        while true {
            let answers: [ReplicaReload]
            do {
                let response = try await client.call(Methods.reload, ReloadRequest(path: path ?? ""))
                answers = response.replicas.isEmpty
                    ? [ReplicaReload(address: address.description, version: response.version, previousVersion: response.previousVersion)]
                    : response.replicas
            } catch let error as RPCError {
                throw CommandFailure("\(address): \(error)")
            }
            for answer in answers { print("\(answer.address): \(answer.previousVersion) -> \(answer.version)") }
            guard let expected else { return }
            let stale = answers.filter { $0.version != expected }
            if stale.isEmpty { return print("every replica serves \(expected)") }
            guard ContinuousClock.now < giveUp else {
                throw CommandFailure("after \(wait.seconds) s, \(stale.map(\.address).joined(separator: ", ")) still serve another version than \(expected)")
            }
            print("waiting for \(stale.count) of \(answers.count) to see \(expected)")
            try await Task.sleep(for: .seconds(2))
        }
    }
}
