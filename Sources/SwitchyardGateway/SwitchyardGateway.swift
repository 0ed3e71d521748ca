import Foundation
import ArgumentParser
import Gateway
import Logging
import HTTPKit
import RPC
import ServiceKit
import ServiceLifecycle
import Store
import Wire

/// `switchyard-gateway`: the model gateway.
@main
struct SwitchyardGateway: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchyard-gateway",
        abstract: "Switchyard's model gateway: Complete with a named model, or \"auto\" routed by the router, with fallback and cost accounting.", version: switchyardVersion)

    /// Request handlers await upstream calls made on NIO's event loops: run them there.
    static func main() async { await mainOnEventLoops() }

    @OptionGroup var service: ServiceOptions

    @Option(help: "Upstream configuration (JSON; see deploy/config/gateway-replay.json).")
    var config: String

    @Option(help: "Router or coordinator host:port for model \"auto\" (absent: only named models).")
    var router: ServiceAddress?

    @Flag(help: "Start even when the router ranks models that have no upstream here (they are skipped; by default the gateway refuses to start).")
    var allowPartial = false

    @Option(help: "How long the start-up check waits for the router to answer (seconds, or e.g. 500ms; 0: no check).")
    var routerCheckWait: Duration = .seconds(10)

    @Option(help: "Connections kept open to the router.")
    var routerConnections = 2

    @Option(help: "Longest wait for a routing decision (seconds, or e.g. 500ms).")
    var routeTimeout: Duration = .seconds(2)

    @Option(help: "Models tried per \"auto\" request: the router's choice, then its next-ranked models.")
    var maxAttempts = 3

    @Option(help: "What the router reads of a conversation: last-user-turn, user-turns (all, joined) or conversation (every turn).")
    var routeOn: RoutingText = .lastUserTurn

    @Option(help: "Port of the OpenAI-compatible HTTP front door (POST /v1/chat/completions, GET /v1/models); absent: off.")
    var openaiPort: Int?

    @Option(help: "Address the OpenAI front door listens on.")
    var openaiHost = "127.0.0.1"

    @Option(help: "Write the OpenAI front door's port to this file once it listens (with --openai-port 0).")
    var openaiPortFile: String?

    @Option(help: "Largest request body the OpenAI front door accepts (413 beyond).")
    var openaiMaxBodyBytes = 4 << 20

    @Option(help: "The OpenAI front door's API keys (a JSON file: {\"keys\": [{\"name\", \"key\", \"daily_budget_usd\"}]}); every request then needs Authorization: Bearer <key>.")
    var openaiKeys: String?

    @Option(help: "max_tokens given to a request of a key with a daily budget that sets none, so the most it can cost is known and held while it runs.")
    var budgetMaxOutputTokens = Int(OpenAIFrontDoor.defaultBudgetOutputTokens)

    @Flag(inversion: .prefixedNo, help: "Serve the dashboard on the front door (GET /dashboard; its figures need the admin token, or any key when the gateway has none).")
    var dashboard = true

    @Option(help: "The share of routed requests a learned router (one switchyard-learner published) decides on a Thompson draw instead of its means (0 to 1; 0: never): at most this share explores.")
    var exploreShare = 0.1

    @Option(help: "Dollars a day the answers that explored may cost (UTC days); past it no request explores until the day turns.")
    var exploreBudgetUsd = 10.0

    @OptionGroup(title: "Outcome store") var store: StoreOptions

    @OptionGroup(title: "Judge") var judge: JudgeOptions

    func validate() throws {
        if routerConnections < 1 { throw ValidationError("--router-connections must be at least 1") }
        if routeTimeout <= .zero { throw ValidationError("--route-timeout must be > 0") }
        if maxAttempts < 1 { throw ValidationError("--max-attempts must be at least 1") }
        if let openaiPort, !(0...65535).contains(openaiPort) { throw ValidationError("--openai-port must be in 0...65535") }
        if openaiPort == nil {
            for (flag, given) in [("--openai-keys", openaiKeys != nil), ("--openai-port-file", openaiPortFile != nil)] where given {
                throw ValidationError("\(flag) configures the OpenAI front door, which is off without --openai-port")
            }
        }
        if !(1...1_000_000).contains(budgetMaxOutputTokens) { throw ValidationError("--budget-max-output-tokens must be in 1...1000000") }
        if openaiMaxBodyBytes < 1024 { throw ValidationError("--openai-max-body-bytes must be at least 1024") }
        if openaiPort != nil, openaiKeys == nil, !ServiceOptions.isLoopback(openaiHost), !service.allowUnauthenticated {
            throw ValidationError("the OpenAI front door on a non-loopback address needs --openai-keys (or --allow-unauthenticated on a network nobody else can reach)")
        }
    }

    /// Asks the router which models it ranks (waiting up to --router-check-wait for it to
    /// answer): a ranked model without an upstream here stops the start, or with --allow-partial
    /// is a warning. A router that does not answer in time is a warning: it may start later.
    func checkUpstreams(_ handler: CompleteHandler, logger: Logger) async throws {
        guard routerCheckWait > .zero else { return }
        let clock = ContinuousClock()
        let giveUp = clock.now + routerCheckWait
        while true {
            do {
                let (ranked, missing) = try await handler.rankedModelsWithoutUpstream()
                guard !missing.isEmpty else { return }
                let configured = handler.upstreams.keys.sorted().joined(separator: ", ")
                let problem = "the router ranks \(ranked.joined(separator: ", ")), but \(missing.joined(separator: ", ")) "
                    + "\(missing.count == 1 ? "has" : "have") no upstream in \(config) (configured: \(configured)). Name an upstream after "
                    + "each model the router was trained on (its \"model\" field says what the endpoint calls it)"
                guard allowPartial else { throw StartupError(problem + ", or pass --allow-partial to skip them") }
                logger.warning("\(problem); --allow-partial: requests skip them")
                return
            } catch let error as RPCError where clock.now < giveUp && [.unavailable, .deadlineExceeded].contains(error.code) {
                try await Task.sleep(for: .milliseconds(500))
            } catch let error as RPCError {
                logger.warning("could not ask the router which models it ranks; upstream names are not checked", metadata: ["error": "\(error)"])
                return
            }
        }
    }

    func run() async throws {
        let host = ServiceHost(name: "gateway", options: service)
        let upstreams: [any Upstream]
        do {
            upstreams = try GatewayConfiguration.load(config).makeUpstreams()
        } catch {
            throw StartupError("\(error)")
        }
        let keys: FrontDoorKeys?
        do {
            keys = try openaiKeys.map(FrontDoorKeys.load)
        } catch {
            throw StartupError("--openai-keys: \(error)")
        }
        let outcomes = try store.open(logger: host.logger)
        let ledger = CostLedger()
        var spend: [String: Double] = [:]
        if let outcomes {
            // A key's budget (and the judge's) spent before a restart stays spent.
            do {
                spend = try await outcomes.spend(day: ledger.currentDay)
                ledger.restore(spend: spend, day: ledger.currentDay)
            } catch {
                host.logger.warning("today's spend could not be read from the store; budgets count from zero until it can", metadata: ["error": "\(error)"])
            }
        }
        let judge = try self.judge.make(upstreams: upstreams, store: outcomes, spend: spend, ledger: ledger, logger: host.logger)
        let exploration = ExplorationBudget(share: exploreShare, dailyUSD: exploreBudgetUsd)
        if let outcomes {
            // What exploring cost today before a restart stays spent.
            do {
                let today = try await outcomes.exploration(sinceMs: Int64(ledger.currentDay) * 86_400_000)
                exploration.restore(usd: today.usd, answers: today.answers)
            } catch {
                host.logger.warning("today's exploration spend could not be read from the store", metadata: ["error": "\(error)"])
            }
        }
        let shared = store.sharedBudgets()
        let handler = CompleteHandler(
            upstreams: upstreams, router: router.map { service.client($0, connections: routerConnections) },
            maxAttempts: maxAttempts, routeTimeout: routeTimeout, ledger: ledger, routeOn: routeOn,
            recorder: OutcomeRecorder(
                store: outcomes, recordPrompts: store.recordPrompts, judge: judge, exploration: exploration, logger: host.logger),
            budgets: shared.map { PostgresBudgetBook($0, local: ledger, logger: host.logger) })
        if router != nil { try await checkUpstreams(handler, logger: host.logger) }
        MetricsEndpoint.refreshBeforeScrape {
            GatewayGauges.record(handler.status)
            if let keys { GatewayGauges.record(keys, ledger: ledger) }
        }
        var handlers = RPCHandlers()
        handler.register(in: &handlers)
        FeedbackDesk(store: outcomes, keys: keys).register(in: &handlers)
        host.logger.info("upstreams configured", metadata: [
            "models": "\(upstreams.map(\.configuration.name).sorted().joined(separator: ", "))",
            "router": "\(router?.description ?? "none")",
        ])
        var services: [any Service] = []
        if let outcomes { services.append(store.retention(outcomes, budgets: shared, logger: host.logger)) }
        if let openaiPort {
            // Reads for the dashboard and explanations go through a connection of their own.
            let reader = outcomes.map { StoreReader($0.location) }
            var feed: DashboardFeed?
            if dashboard {
                let fleet = router.map { address in
                    RouterFleet(router: service.client(address, connections: 1)) { service.client($0, connections: 1) }
                }
                let made = DashboardFeed(complete: handler, keys: keys, reader: reader, fleet: fleet)
                services.append(Periodic(every: .seconds(1)) { made.sample() })
                feed = made
            }
            let frontDoor = OpenAIFrontDoor(
                complete: handler, keys: keys, budgetOutputTokens: UInt32(budgetMaxOutputTokens), dashboard: feed,
                decisions: DecisionDesk(reader: reader), adminToken: service.adminToken, logger: host.logger)
            let http = HTTPServer(
                host: openaiHost, port: openaiPort, maxBodyBytes: openaiMaxBodyBytes, logger: host.logger,
                tooLarge: OpenAIFrontDoor.tooLarge, handler: frontDoor.handle)
            let address = try await http.start()
            host.logger.info("OpenAI-compatible front door", metadata: [
                "address": "http://\(openaiHost):\(address.port ?? 0)/v1", "keys": "\(keys?.keys.count ?? 0)",
                "dashboard": "\(dashboard ? "http://\(openaiHost):\(address.port ?? 0)/dashboard" : "off")",
            ])
            if let openaiPortFile { try "\(address.port ?? 0)\n".write(toFile: openaiPortFile, atomically: true, encoding: .utf8) }
            services.append(http)
        }
        try await host.run(handlers: handlers, defaultPort: 7400, status: { $0.gateway = handler.status }, services: services)
        await judge?.drain()
        outcomes?.close()
    }
}

extension RoutingText: ExpressibleByArgument {}
extension RecordPrompts: ExpressibleByArgument {}

