import Foundation
import Logging
import Metrics
import RPC
import ServiceLifecycle
import RouterCore
import RouterFile
import Store
import Synchronization
import Wire

/// The learner service's work (`switchyard-learner`): one writer per store, holding its lease;
/// every `interval` it reads the scores committed since it last looked, learns from them,
/// publishes a new router version to the store when anything changed, and pushes the version
/// the replicas should serve (the newest, or the one operators pinned) to every target (a
/// coordinator, which fans it out, or router replicas) with Reload. Replicas skip a version they
/// already serve, so pushing every interval also brings restarted replicas up to date.
///
/// The store is the source of truth: on start (and when it takes the lease over) the learner
/// replays every score in commit order, so no acknowledged score is missing from what it learned
/// after a crash. A second learner on the same store waits, polling the lease, and takes over
/// when the first stops renewing it (three intervals).
///
/// Cycles run one at a time (`run`, or `cycle` from a test); `status` may be read from any thread.
public final class LearnerLoop: Service, @unchecked Sendable {
    public struct Settings: Sendable {
        public var interval: Duration = .seconds(10)
        /// The gateway's configuration: the models it offers and their prices (nil: the base
        /// router's models, none joining or leaving).
        public var gatewayConfig: String?
        /// Coordinators or routers to push versions to.
        public var targets: [ServiceAddress] = []
        public var adminToken: String?
        public var learning = ClusterLearner.Settings()
        /// How long a gap in the feedback numbering is waited for (a transaction committing late on PostgreSQL).
        public var gapWait: Duration = .seconds(60)

        public init() {}
    }

    public let settings: Settings
    private let store: LearningStore
    private let base: RouterBundle
    private let baseModel: ClusterRouterModel
    private let logger: Logger
    /// This learner's name in the lease.
    public let holder: String
    private var clients: [ServiceAddress: RPCClient] = [:]
    private let snapshot = Mutex(LearnerStatus())
    private let learnedCounter = Counter(label: "switchyard_learner_scores_learned_total")
    private let publishedCounter = Counter(label: "switchyard_learner_versions_published_total")
    private let pushFailures = Counter(label: "switchyard_learner_push_failures_total")

    /// Refuses a base router file without a cluster router (the family the learner learns).
    public init(store: LearningStore, base: RouterBundle, settings: Settings, logger: Logger) throws {
        guard let cluster = base.entries.lazy.compactMap({ $0.router as? ClusterRouter }).first else {
            throw RPCError(
                .invalidArgument,
                "router file \(base.version) has no cluster router (it has \(base.entries.map(\.name).joined(separator: ", "))); "
                    + "train one with switchyard train --router cluster, or --prompts-only")
        }
        self.store = store
        self.base = base
        self.baseModel = cluster.model
        self.settings = settings
        self.logger = logger
        holder = "\(ProcessInfo.processInfo.hostName):\(getpid()):\(UInt32.random(in: .min ... .max))"
    }

    /// What a cycle did, for logs and tests.
    public struct Cycle: Sendable, Equatable {
        public var holdsLease: Bool
        public var learned = 0
        public var published: String?
        public var serving: String?
        public var joined: [String] = []
        public var left: [String] = []
    }

    private var state: OnlineLearner?
    /// The newest version in the store (read when the lease is taken, then the ones published),
    /// and the one replicas are sent.
    private var newest: Published?
    private var serving: RouterVersion?

    /// A published version and what it was learned from.
    private struct Published {
        var version: RouterVersion
        var seq: Int64 { version.seq }
        var observations: Int64 { version.observations }
        var models: [String]

        init?(_ version: RouterVersion?) throws {
            guard let version else { return nil }
            self.version = version
            models = try RouterFile.decode(version.routerFile).models
        }
    }
    private var cursor: Int64 = 0
    private var gaps: [Int64: ContinuousClock.Instant] = [:]
    private var lastWaitingFor: String?

    /// Runs a cycle every interval until the task is cancelled (or shutdown begins); lets go of
    /// the lease on the way out.
    public func run() async {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            await runCycle()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.settings.interval) }
        }
        try? store.releaseLease(holder: holder)
        for client in clients.values { await client.close() }
    }

    /// One cycle, its outcome logged; a failure is logged and retried next interval.
    private func runCycle() async {
        do {
            let cycle = try await self.cycle()
            if cycle.learned > 0 || cycle.published != nil {
                logger.info("learned", metadata: [
                    "scores": "\(cycle.learned)", "published": "\(cycle.published ?? "-")", "serving": "\(cycle.serving ?? "-")",
                    "total": "\(state?.learned ?? 0)",
                ])
            }
        } catch {
            logger.error("learning cycle failed (retrying next interval): \(error)")
        }
    }

    /// What the learner is doing, for Status.
    public var status: LearnerStatus { snapshot.withLock { $0 } }

    /// One cycle: lease, learn what is new, publish, push.
    public func cycle() async throws -> Cycle {
        let owner = try store.lease(holder: holder, for: settings.interval * 3)
        guard owner == holder else {
            if state != nil { logger.warning("another learner holds the store's lease now; standing by", metadata: ["holder": "\(owner ?? "")"]) }
            if lastWaitingFor != owner {
                logger.notice("waiting: another learner holds the store's lease", metadata: ["holder": "\(owner ?? "")"])
                lastWaitingFor = owner
            }
            state = nil
            snapshot.withLock { $0.holdsLease = false; $0.leaseHolder = owner ?? "" }
            return Cycle(holdsLease: false)
        }
        lastWaitingFor = nil
        var cycle = Cycle(holdsLease: true)
        if state == nil {
            state = try OnlineLearner(base: baseModel, settings: settings.learning)
            (cursor, gaps, newest, serving) = (0, [:], nil, nil)
        }
        if let offers = try offers() { (cycle.joined, cycle.left) = state!.offer(offers) }
        let changesBefore = state!.quality.changes
        cycle.learned = try learnNew()
        for model in state!.quality.changedModels.suffix(state!.quality.changes - changesBefore) {
            logger.warning("a model's scores changed: every estimate keeps a tenth of its evidence and is learnt again", metadata: ["model": "\(model)"])
        }
        if newest == nil { newest = try Published(store.version()) }
        let pinned = try store.pinned()
        if pinned == nil, newest?.observations != state!.learned || newest?.models != state!.models {
            let version = try publish(number: (newest?.seq ?? 0) + 1)
            newest = try Published(version)
            cycle.published = version.version
        }
        // The version replicas should serve: the pinned one (read once per pin) or the newest.
        if let pinned, serving?.version != pinned { serving = try store.version(named: pinned) }
        if pinned == nil { serving = newest?.version }
        var errors: [String] = []
        if let serving {
            cycle.serving = serving.version
            errors = await push(serving)
        }
        learnedCounter.increment(by: cycle.learned)
        if cycle.published != nil { publishedCounter.increment() }
        let learner = state!
        snapshot.withLock { status in
            status.holdsLease = true
            status.leaseHolder = holder
            status.learned = UInt64(learner.learned)
            status.skipped = UInt64(learner.skipped)
            status.servingVersion = cycle.serving ?? ""
            status.pinnedVersion = pinned ?? ""
            status.published += cycle.published == nil ? 0 : 1
            status.models = learner.models
            status.pushErrors = errors
        }
        return cycle
    }

    /// The models the gateway's configuration offers; nil without one. A file that does not
    /// parse is logged and the models stay as they are.
    private func offers() throws -> [ModelOffer]? {
        guard let path = settings.gatewayConfig else { return nil }
        do {
            return try GatewayOffers.load(path)
        } catch {
            logger.error("cannot read the gateway configuration; the models stay as they are: \(error)")
            return nil
        }
    }

    /// Learns every score committed since the last cycle (and those of gaps that filled).
    private func learnNew() throws -> Int {
        var learned = 0
        let now = ContinuousClock.now
        gaps = gaps.filter { now - $0.value < settings.gapWait }
        while true {
            let page = try store.observations(after: cursor, gaps: Array(gaps.keys.sorted().suffix(1000)))
            let fresh = page.filter { $0.seq > cursor || gaps[$0.seq] != nil }
            for observation in fresh {
                if observation.seq > cursor + 1, observation.seq - cursor < 10_000 {
                    for missing in (cursor + 1)..<observation.seq { gaps[missing] = now }
                }
                gaps[observation.seq] = nil
                cursor = max(cursor, observation.seq)
                state!.observe(observation)
                learned += 1
            }
            if page.count < 5000 { return learned }
        }
    }

    /// Writes the state as version `number`; returns it.
    private func publish(number: Int64) throws -> RouterVersion {
        let router = try state!.router()
        let name = "\(base.version)+learned.\(number)"
        let bundle = try RouterBundle(
            version: name, embedder: base.embedder, models: router.models,
            prices: router.models.map { name in base.models.firstIndex(of: name).flatMap { base.prices[$0] } },
            entries: [RouterBundle.Entry(name: RouterKind.cluster.rawValue, spec: "learned(\(state!.learned) scores)", router: router)],
            defaultRouter: RouterKind.cluster.rawValue, trainedOn: base.trainedOn + " + \(state!.learned) scores from traffic")
        let summary = "\(state!.learned) scores learned (\(state!.skipped) skipped), models \(router.models.joined(separator: ", "))"
        var version = RouterVersion(
            version: name, createdMs: OutcomeRecord.nowMs(), feedbackSeq: cursor, observations: state!.learned, summary: summary,
            routerFile: RouterFile.encode(bundle))
        version.seq = try store.save(version)
        return version
    }

    /// Sends `version` to every target; failures are logged and returned (a replica that
    /// refuses a version keeps serving its last good one and says why).
    private func push(_ version: RouterVersion) async -> [String] {
        var errors: [String] = []
        for target in settings.targets {
            let client = clients[target] ?? RPCClient(
                address: target, configuration: .init(connectTimeout: .seconds(2), defaultTimeout: .seconds(30), authToken: settings.adminToken))
            clients[target] = client
            do {
                let answer = try await client.call(Methods.reload, ReloadRequest(routerFile: version.routerFile))
                for replica in answer.replicas where !replica.error.isEmpty {
                    errors.append("\(replica.address): \(replica.error)")
                    logger.warning("a replica did not take the version", metadata: [
                        "replica": "\(replica.address)", "version": "\(version.version)", "error": "\(replica.error)",
                    ])
                }
            } catch {
                errors.append("\(target): \(error)")
                logger.warning("cannot push the version", metadata: ["target": "\(target)", "version": "\(version.version)", "error": "\(error)"])
            }
        }
        if !errors.isEmpty { pushFailures.increment(by: errors.count) }
        return errors
    }
}
