import ArgumentParser
import Foundation
import RPC
import RouterFile
import Store
import Wire

/// `switchyard router versions|rollback|resume`: the router versions the learner published, kept
/// in the outcome store, and which one the replicas serve.
struct RouterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "router", abstract: "The learner's router versions: list them, roll back to one, resume learning.",
        subcommands: [Versions.self, Rollback.self, Resume.self])

    struct StoreOption: ParsableArguments {
        @Option(help: "The store the learner writes: sqlite:PATH or postgres://... (the gateways' --store).")
        var store: String

        func open() throws -> LearningStore {
            do { return try LearningStore(StoreLocation(parsing: store)) } catch { throw CommandFailure("--store: \(error)") }
        }
    }

    struct Versions: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the published versions, newest first, and the pin.")

        @OptionGroup var store: StoreOption

        @Option(help: "How many to list.")
        var limit = 20

        func run() throws {
            let opened = try store.open()
            let pinned = try opened.pinned()
            let versions = try opened.versions(limit: limit)
            if versions.isEmpty { return print("no versions published in \(store.store)") }
            let newest = versions.first?.version
            for v in versions {
                let date = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(v.createdMs) / 1000))
                let mark = v.version == pinned ? "pinned" : (pinned == nil && v.version == newest ? "serving" : "")
                print("\(v.version)  \(date)  \(mark.isEmpty ? "" : "[\(mark)]  ")\(v.summary)")
            }
            if let pinned { print("pinned to \(pinned): the learner learns on but publishes nothing until switchyard router resume") }
        }
    }

    struct Rollback: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Pin a version: the learner pushes it to every replica (and publishes nothing new until resume).",
            discussion: "With --push, this command also sends it to the coordinator (or router) at once, not waiting for the learner's next interval.")

        @OptionGroup var store: StoreOption

        @Argument(help: "The version to serve, as `switchyard router versions` lists it.")
        var version: String

        @Option(name: .customLong("push"), help: "A coordinator's (or router's) host:port to send it to now.")
        var targets: [ServiceAddress] = []

        @Option(help: "File holding the admin token (Reload needs it when the services have one).")
        var adminTokenFile: String?

        func run() async throws {
            let opened = try store.open()
            guard let found = try opened.version(named: version) else {
                throw CommandFailure("no version \(version) in \(store.store); switchyard router versions lists them")
            }
            try opened.pin(found.version)
            print("pinned \(found.version)")
            let token = try adminTokenFile.map { file in
                do { return try Authentication.token(fromFile: file) } catch { throw ValidationError("--admin-token-file: \(error)") }
            }
            for target in targets {
                let client = RPCClient(address: target, configuration: .init(connectTimeout: .seconds(2), defaultTimeout: .seconds(30), authToken: token))
                defer { Task { await client.close() } }
                let answer = try await client.call(Methods.reload, ReloadRequest(routerFile: found.routerFile))
                let replicas = answer.replicas.isEmpty
                    ? [ReplicaReload(address: target.description, version: answer.version, previousVersion: answer.previousVersion)]
                    : answer.replicas
                for replica in replicas {
                    print("\(replica.address): \(replica.error.isEmpty ? "\(replica.previousVersion) -> \(replica.version)" : replica.error)")
                }
            }
        }
    }

    struct Resume: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Unpin: the learner publishes again (its next version carries everything learned since).")

        @OptionGroup var store: StoreOption

        func run() throws {
            try store.open().pin(nil)
            print("unpinned: the learner publishes again")
        }
    }
}
