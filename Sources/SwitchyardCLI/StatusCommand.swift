import Foundation
import ArgumentParser
import NIOCore
import RPC
import ServiceKit
import Wire

/// `switchyard status ADDRESS`: asks a running service for its Health and Status and prints them.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Print a running service's health and status.")

    @Argument(help: "The service's address, host:port.")
    var address: ServiceAddress

    @OptionGroup var caller: CallerOptions

    @Option(help: "How long to wait for an answer (seconds, or e.g. 500ms).")
    var timeout: Duration = .seconds(5)

    @Option(help: "Keep asking for up to this long until the service is SERVING (for scripts).")
    var wait: Duration?

    func run() async throws {
        let target = address
        let client = RPCClient(
            address: target,
            configuration: .init(connectTimeout: .seconds(2), defaultTimeout: timeout, authToken: caller.token))
        defer { Task { await client.close() } }
        if let wait { try await waitUntilServing(client, for: wait) }
        do {
            let health = try await client.call(Methods.health, HealthRequest())
            let status = try await client.call(Methods.status, StatusRequest())
            print(StatusReport(health: health, status: status).text)
        } catch let error as RPCError {
            throw CommandFailure("\(target): \(error)")
        }
    }
}

extension StatusCommand {
    /// Polls Health every 100 ms until SERVING; fails with the last answer after `wait`.
    func waitUntilServing(_ client: RPCClient, for wait: Duration) async throws {
        let deadline = ContinuousClock.now + wait
        var last = "no answer"
        while ContinuousClock.now < deadline {
            do {
                let health = try await client.call(Methods.health, HealthRequest(), timeout: .seconds(1))
                if health.status == .serving { return }
                last = "\(health.status)"
            } catch {
                last = "\(error)"
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw CommandFailure("\(client.address) is not SERVING after \(wait.seconds) s (last: \(last))")
    }
}

/// The human-readable lines `switchyard status` prints.
struct StatusReport {
    let health: HealthResponse
    let status: StatusResponse

    var text: String {
        var lines = [
            "\(status.service) \(status.version) at \(status.address): \(health.status)",
            "  uptime \(String(format: "%.1f", status.uptimeSeconds)) s, \(status.requestsTotal) requests, "
                + "\(status.errorsTotal) errors, \(status.openConnections) open connections",
        ]
        if let embedder = status.embedder {
            lines.append("  embedder \(embedder.embedder), dimension \(embedder.dimension), cache \(embedder.cacheEntries) entries "
                + "(\(embedder.cacheHits) hits, \(embedder.cacheMisses) misses)")
        }
        if let router = status.router {
            lines.append("  router model \(router.routerVersion): \(router.clusters) clusters x \(router.dimension) dims, "
                + "\(router.models.count) models, \(router.reloads) reloads")
        }
        if let coordinator = status.coordinator {
            for replica in coordinator.replicas {
                lines.append("  replica \(replica.address): \(replica.healthy ? "healthy" : "unhealthy"), "
                    + "\(replica.forwarded) forwarded, \(replica.failures) failures")
            }
        }
        if let gateway = status.gateway {
            lines.append("  gateway: \(gateway.routed) routed, \(gateway.fallbacks) fallbacks, "
                + "$\(String(format: "%.6f", gateway.totalCostUSD)) total")
            for latency in gateway.latencies {
                lines.append("  latency \(latency.model): " + String(
                    format: "p50 %.0f ms, p90 %.0f ms; first token p50 %.0f ms (%.0f answers, decayed)",
                    latency.p50Ms, latency.p90Ms, latency.firstTokenP50Ms, latency.samples))
            }
            if let store = gateway.store {
                lines.append("  store \(store.location): \(store.written) writes in \(store.batches) commits (mean \(String(format: "%.2f", store.meanCommitMs)) ms), "
                    + "\(store.pending) pending, \(store.refused) refused, \(store.failed) failed, \(store.spilled) spilled, \(store.recordsLost) records lost")
            }
            if let judge = gateway.judge {
                lines.append("  judge \(judge.model) (sample \(judge.sample)): \(judge.graded) graded, \(judge.unparseable) unparseable, "
                    + "\(judge.failed) failed, \(judge.overBudget) over budget, \(judge.busy) busy; "
                    + "$\(String(format: "%.4f", judge.spentTodayUSD)) of $\(String(format: "%.2f", judge.dailyBudgetUSD)) today")
            }
        }
        if let learner = status.learner {
            lines.append(learner.holdsLease
                ? "  learner: \(learner.learned) scores learned (\(learner.skipped) skipped), \(learner.published) versions published; "
                    + "replicas serve \(learner.servingVersion)\(learner.pinnedVersion.isEmpty ? "" : " (pinned)"); models \(learner.models.joined(separator: ", "))"
                : "  learner: waiting; \(learner.leaseHolder.isEmpty ? "the store's lease is not free yet" : "the store's lease is held by \(learner.leaseHolder)")")
            for error in learner.pushErrors { lines.append("  push failed: \(error)") }
        }
        return lines.joined(separator: "\n")
    }
}

/// A failure the command reports as one line and exit status 1 (not a usage error).
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
