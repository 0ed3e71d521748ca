import ArgumentParser
import Foundation
import Logging
import RPC
import ServiceKit
import Gateway
import Store

/// The gateway's flags for its outcome store: where it is, what records keep, how long.
struct StoreOptions: ParsableArguments {
    @Option(help: "Where answers' records, feedback and spend are kept: sqlite:PATH (one file, this machine) or postgres://user@host/db (shared by several gateways). Absent: no records, no feedback, budgets in memory only.")
    var store: String?

    @Option(help: "What a record keeps of the routed text: none, embedding (the vector the router routed on: what learning needs) or text.")
    var recordPrompts: RecordPrompts = .embedding

    @Option(help: "sqlite: when a commit is durable: process (survives the gateway being killed) or power (survives the machine losing power: an fsync per commit).")
    var storeDurability: OutcomeStore.Durability = .process

    @Option(help: "postgres: a local SQLite file where records wait while PostgreSQL cannot be reached (default: outcomes-spill.sqlite beside the working directory; \"none\": records are then lost, feedback refused).")
    var storeSpill = "outcomes-spill.sqlite"

    @Option(help: "Records older than this many days are deleted.")
    var retentionDays = 30.0

    @Option(help: "Beyond this many megabytes of records, the oldest are deleted (0 = no size bound).")
    var retentionMaxMB = 1024.0

    func validate() throws {
        if let store { do { _ = try StoreLocation(parsing: store) } catch { throw ValidationError("--store: \(error.message)") } }
        if retentionDays <= 0 { throw ValidationError("--retention-days must be > 0") }
        if retentionMaxMB < 0 { throw ValidationError("--retention-max-mb must be >= 0") }
    }

    /// The store, opened and migrated; nil without --store.
    func open(logger: Logger) throws -> OutcomeStore? {
        guard let store else { return nil }
        do {
            let location = try StoreLocation(parsing: store)
            let spill: String? = if case .postgres = location, storeSpill != "none" { storeSpill } else { nil }
            let opened = try OutcomeStore(location, durability: storeDurability, spillPath: spill, logger: logger)
            logger.info("outcome store", metadata: ["store": "\(location)", "record_prompts": "\(recordPrompts)"])
            return opened
        } catch {
            throw StartupError("--store: \(error.message)")
        }
    }

    /// With a PostgreSQL store: the budgets every gateway on it shares.
    func sharedBudgets() -> SharedBudgets? {
        guard let store, case .postgres(let url) = try? StoreLocation(parsing: store) else { return nil }
        return SharedBudgets(url: url)
    }

    /// Applies the retention every minute (and lets go of budget holds whose gateway died).
    func retention(_ store: OutcomeStore, budgets: SharedBudgets?, logger: Logger) -> Periodic {
        let maxAge = Duration.seconds(retentionDays * 86_400)
        let maxBytes = retentionMaxMB > 0 ? Int64(retentionMaxMB * 1_048_576) : nil
        return Periodic(every: .seconds(60)) {
            do {
                try await budgets?.pruneExpired()
                let removed = try await store.prune(maxAge: maxAge, maxBytes: maxBytes)
                if removed > 0 { logger.info("retention: records deleted", metadata: ["count": "\(removed)"]) }
            } catch {
                logger.warning("retention failed", metadata: ["error": "\(error)"])
            }
        }
    }
}

extension OutcomeStore.Durability: ExpressibleByArgument {}
