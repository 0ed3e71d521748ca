import Metrics
import Wire

/// The gateway's state as Prometheus gauges, set from its Status when /metrics is scraped: each
/// model's learned latency quantiles, the outcome store's queue and spill, the judge's spend.
///
///     switchyard_gateway_latency_ms{model, phase="total"|"first_token", quantile="0.5"|"0.9"}
///     switchyard_gateway_store_pending, switchyard_gateway_store_spilled, switchyard_gateway_store_records_lost
///     switchyard_gateway_judge_spent_today_usd
/// and the front-door keys' spend (`record(_:ledger:)`).
public enum GatewayGauges {
    /// Sets every gauge from `status`.
    public static func record(_ status: GatewayStatus) {
        for latency in status.latencies {
            for (phase, quantile, value) in [
                ("total", "0.5", latency.p50Ms), ("total", "0.9", latency.p90Ms),
                ("first_token", "0.5", latency.firstTokenP50Ms), ("first_token", "0.9", latency.firstTokenP90Ms),
            ] where value > 0 {
                Gauge(label: "switchyard_gateway_latency_ms", dimensions: [("model", latency.model), ("phase", phase), ("quantile", quantile)])
                    .record(value)
            }
        }
        if let store = status.store {
            Gauge(label: "switchyard_gateway_store_pending").record(Double(store.pending))
            Gauge(label: "switchyard_gateway_store_spilled").record(Double(store.spilled))
            Gauge(label: "switchyard_gateway_store_records_lost").record(Double(store.recordsLost))
        }
        if let judge = status.judge {
            Gauge(label: "switchyard_gateway_judge_spent_today_usd").record(judge.spentTodayUSD)
        }
    }

    /// Sets each front-door key's spend today and, for a key with a daily budget, what it has
    /// left, as this gateway's ledger knows them (with a shared PostgreSQL ledger, other
    /// gateways' spend shows once this one has seen it):
    ///
    ///     switchyard_gateway_key_spent_today_usd{key}, switchyard_gateway_key_budget_left_usd{key}
    public static func record(_ keys: FrontDoorKeys, ledger: CostLedger) {
        for key in keys.keys {
            Gauge(label: "switchyard_gateway_key_spent_today_usd", dimensions: [("key", key.name)]).record(ledger.spentToday(by: key.name))
            if let budget = key.dailyBudgetUSD {
                Gauge(label: "switchyard_gateway_key_budget_left_usd", dimensions: [("key", key.name)])
                    .record(max(0, ledger.left(for: key.name, budget: budget)))
            }
        }
    }
}
