import Metrics
import NIOHTTP1
import Synchronization

/// The front door's requests on /metrics, beside the RPC methods' own:
///
///     switchyard_http_requests_total{route, status}         answers by route and HTTP status
///     switchyard_http_request_duration_seconds{route}       until the answer (a stream: until it began)
///
/// `route` is one of the front door's paths (`/v1/decisions/{id}` for every id), or "other". The metric handles are made once per
/// route and status, not per request.
final class FrontDoorMetrics: Sendable {
    static let routes: Set<Substring> = ["/v1/chat/completions", "/v1/models", "/v1/feedback", "/dashboard", "/dashboard/data"]

    private struct Handles {
        var counters: [String: Counter] = [:]
        var timers: [String: Timer] = [:]
    }

    private let handles = Mutex(Handles())

    /// Counts an answer of `status` to `path` that took from `started` until now.
    func record(path: Substring, status: HTTPResponseStatus, started: ContinuousClock.Instant) {
        let route = Self.routes.contains(path) ? String(path) : path.hasPrefix("/v1/decisions/") ? "/v1/decisions/{id}" : "other"
        let elapsed = ContinuousClock.now - started
        let (counter, timer) = handles.withLock { handles -> (Counter, Timer) in
            let key = "\(route) \(status.code)"
            let counter = handles.counters[key] ?? Counter(
                label: "switchyard_http_requests_total", dimensions: [("route", route), ("status", "\(status.code)")])
            handles.counters[key] = counter
            let timer = handles.timers[route] ?? Timer(label: "switchyard_http_request_duration_seconds", dimensions: [("route", route)])
            handles.timers[route] = timer
            return (counter, timer)
        }
        counter.increment()
        timer.recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }
}
