import Wire

/// The store on PostgreSQL: shared by several gateways (a key's spend is one number however many
/// serve it) and by the learner.
final class PostgresBackend: StoreBackend {
    let connection: PostgresConnection
    var name: String { PostgresConnection.redacted(connection.url) }

    init(url: String) throws(StoreError) {
        connection = try PostgresConnection(url: url)
    }

    func migrate() throws(StoreError) {
        try connection.transaction { () throws(StoreError) in
            // One migrating gateway at a time: the others wait here, then find nothing to do.
            try connection.execute("SELECT pg_advisory_xact_lock(724871)")
            try connection.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            let current = Int(Self.scalar(try connection.execute("SELECT version FROM schema_version")) ?? "0") ?? 0
            guard current <= StoreSchema.version else {
                throw .failed("\(name) is at schema version \(current), newer than this build's \(StoreSchema.version): run a newer switchyard")
            }
            for version in (current + 1)..<(StoreSchema.version + 1) {
                try connection.executeScript(StoreSchema.migration(version, postgres: true))
                try connection.execute("DELETE FROM schema_version")
                try connection.execute("INSERT INTO schema_version (version) VALUES ($1)", [.int(Int64(version))])
            }
        }
    }

    private static let columns = """
        id, created_ms, api_key, router, router_version, candidates, model, attempts, status, cost_usd, input_tokens,
        output_tokens, tokens_estimated, first_token_ms, latency_ms, streamed, embedding, prompt, explored, decision
        """

    func apply(_ writes: [StoreWrite]) throws(StoreError) -> [StoreWriteResult] {
        try connection.transaction { () throws(StoreError) in
            var results: [StoreWriteResult] = []
            var records: [OutcomeRecord] = []
            var spend: [SpendDay: Double] = [:]
            var settled: [String] = []
            for write in writes {
                switch write {
                case .outcome(let record, let settling):
                    records.append(record)
                    if let settling { settled.append(settling) }
                    if let key = record.key, record.costUSD > 0 {
                        spend[SpendDay(key: key, day: OutcomeRecord.day(ofMs: record.createdMs)), default: 0] += record.costUSD
                    }
                    results.append(.written)
                case .feedback(let feedback):
                    // A record earlier in this batch must be in before its feedback is checked.
                    try insert(records)
                    records.removeAll()
                    results.append(try upsert(feedback))
                case .spend(let key, let day, let usd):
                    spend[SpendDay(key: key, day: day), default: 0] += usd
                    results.append(.written)
                }
            }
            try insert(records)
            try add(spend)
            if !settled.isEmpty {
                // The holds these records' costs replace go in the transaction that books the costs.
                try connection.execute("DELETE FROM holds WHERE id = ANY($1::text[])", [.text("{" + settled.joined(separator: ",") + "}")])
            }
            return results
        }
    }

    private struct SpendDay: Hashable {
        var key: String
        var day: Int
    }

    /// The records in multi-row INSERTs (PostgreSQL takes 65,535 parameters a statement).
    private func insert(_ records: [OutcomeRecord]) throws(StoreError) {
        let perRow = 21
        var start = 0
        while start < records.count {
            let chunk = records[start..<min(start + 3000, records.count)]
            var parameters: [PostgresConnection.Value] = []
            parameters.reserveCapacity(chunk.count * perRow)
            var rows: [String] = []
            for r in chunk {
                let base = parameters.count
                rows.append("(" + (1...perRow).map { "$\(base + $0)" }.joined(separator: ",") + ")")
                parameters += [
                    .text(r.id), .int(r.createdMs), r.key.map(PostgresConnection.Value.text) ?? .null,
                    r.router.map(PostgresConnection.Value.text) ?? .null, r.routerVersion.map(PostgresConnection.Value.text) ?? .null,
                    .text(r.candidatesJSON), r.model.map(PostgresConnection.Value.text) ?? .null, .text(r.attemptsJSON),
                    .int(Int64(r.status)), .double(r.costUSD), .int(Int64(r.inputTokens)), .int(Int64(r.outputTokens)),
                    .int(r.tokensEstimated ? 1 : 0), r.firstTokenMs.map(PostgresConnection.Value.double) ?? .null, .double(r.latencyMs),
                    .int(r.streamed ? 1 : 0), r.embeddingBytes.map(PostgresConnection.Value.bytes) ?? .null,
                    r.prompt.map(PostgresConnection.Value.text) ?? .null, .int(r.explored ? 1 : 0),
                    r.decisionJSON.map(PostgresConnection.Value.text) ?? .null,
                    r.decision?.nearestCluster.map { .int(Int64($0)) } ?? .null,
                ]
            }
            try connection.execute(
                "INSERT INTO outcomes (\(Self.columns), cluster) VALUES \(rows.joined(separator: ",")) ON CONFLICT (id) DO NOTHING", parameters)
            start += chunk.count
        }
    }

    /// Adds the batch's dollars to each key's spend, one statement per key and day.
    private func add(_ spend: [SpendDay: Double]) throws(StoreError) {
        // Keys in one order in every gateway: two batches locking the same rows cannot deadlock.
        for (entry, usd) in spend.sorted(by: { ($0.key.key, $0.key.day) < ($1.key.key, $1.key.day) }) {
            try connection.execute("""
                INSERT INTO spend (api_key, day, spent_usd) VALUES ($1, $2, $3)
                ON CONFLICT (api_key, day) DO UPDATE SET spent_usd = spend.spent_usd + excluded.spent_usd
                """, [.text(entry.key), .int(Int64(entry.day)), .double(usd)])
        }
    }

    private func upsert(_ f: FeedbackRecord) throws(StoreError) -> StoreWriteResult {
        let found = try connection.execute("""
            SELECT o.api_key, (SELECT count(*) FROM feedback WHERE id = $1 AND source = $2) FROM outcomes o WHERE o.id = $1
            """, [.text(f.id), .text(f.source.rawValue)])
        guard let row = found.first else { return .refused(FeedbackRules.unknown(f.id)) }
        if let refusal = FeedbackRules.refusal(f, recordKey: row[0]) { return .refused(refusal) }
        try connection.execute("""
            INSERT INTO feedback (id, source, score, comment, api_key, created_ms, seq)
            VALUES ($1, $2, $3, $4, $5, $6, nextval('feedback_numbers'))
            ON CONFLICT (id, source) DO UPDATE SET score = excluded.score, comment = excluded.comment, api_key = excluded.api_key,
              created_ms = excluded.created_ms, revisions = feedback.revisions + 1, seq = excluded.seq
            """, [
                .text(f.id), .text(f.source.rawValue), .double(f.score), f.comment.map(PostgresConnection.Value.text) ?? .null,
                f.key.map(PostgresConnection.Value.text) ?? .null, .int(f.createdMs),
            ])
        return .feedback(row[1] == "0" ? .recorded : .replaced)
    }

    func spend(day: Int) throws(StoreError) -> [String: Double] {
        var spend: [String: Double] = [:]
        for row in try connection.execute("SELECT api_key, spent_usd FROM spend WHERE day = $1", [.int(Int64(day))]) {
            spend[row[0] ?? ""] = Double(row[1] ?? "") ?? 0
        }
        return spend
    }

    func outcomes(fromMs: Int64, toMs: Int64, limit: Int) throws(StoreError) -> [StoredOutcome] {
        let rows = try connection.execute(
            "SELECT \(Self.columns) FROM outcomes WHERE created_ms >= $1 AND created_ms < $2 ORDER BY created_ms, id LIMIT $3",
            [.int(fromMs), .int(toMs), .int(Int64(limit))])
        let records = rows.map(Self.record)
        let feedback = try self.feedback(of: records.map(\.id))
        return records.map { StoredOutcome(record: $0, feedback: feedback[$0.id] ?? []) }
    }

    func outcome(id: String) throws(StoreError) -> StoredOutcome? {
        guard let row = try connection.execute("SELECT \(Self.columns) FROM outcomes WHERE id = $1", [.text(id)]).first else { return nil }
        return StoredOutcome(record: Self.record(row), feedback: try feedback(of: [id])[id] ?? [])
    }

    private func feedback(of ids: [String]) throws(StoreError) -> [String: [FeedbackRecord]] {
        guard !ids.isEmpty else { return [:] }
        let list = "{" + ids.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
            .joined(separator: ",") + "}"
        var found: [String: [FeedbackRecord]] = [:]
        for row in try connection.execute(
            "SELECT id, source, score, comment, api_key, created_ms FROM feedback WHERE id = ANY($1::text[])", [.text(list)]) {
            let id = row[0] ?? ""
            found[id, default: []].append(FeedbackRecord(
                id: id, score: Double(row[2] ?? "") ?? 0, comment: row[3], source: FeedbackRecord.Source(rawValue: row[1] ?? "") ?? .user,
                key: row[4], createdMs: Int64(row[5] ?? "") ?? 0))
        }
        return found
    }

    private static func record(_ row: [String?]) -> OutcomeRecord {
        func int(_ i: Int) -> Int64 { Int64(row[i] ?? "") ?? 0 }
        func double(_ i: Int) -> Double { Double(row[i] ?? "") ?? 0 }
        return OutcomeRecord(
            id: row[0] ?? "", createdMs: int(1), key: row[2], router: row[3], routerVersion: row[4],
            candidates: OutcomeRecord.decoded([OutcomeRecord.Candidate].self, from: row[5]) ?? [], model: row[6],
            attempts: OutcomeRecord.decoded([OutcomeRecord.Attempt].self, from: row[7]) ?? [], status: Int32(int(8)),
            costUSD: double(9), inputTokens: UInt32(clamping: int(10)), outputTokens: UInt32(clamping: int(11)),
            tokensEstimated: int(12) != 0, firstTokenMs: row[13] == nil ? nil : double(13), latencyMs: double(14),
            streamed: int(15) != 0, embedding: OutcomeRecord.embedding(fromBytes: PostgresConnection.bytes(row[16])), prompt: row[17],
            explored: int(18) != 0, decision: OutcomeRecord.decoded(OutcomeRecord.Decision.self, from: row[19]))
    }

    func schemaVersion() throws(StoreError) -> Int {
        guard Self.scalar(try connection.execute("SELECT to_regclass('schema_version') IS NOT NULL")) == "t" else { return 0 }
        return Int(Self.scalar(try connection.execute("SELECT version FROM schema_version")) ?? "0") ?? 0
    }

    func recent(limit: Int) throws(StoreError) -> [OutcomeRecord] {
        try connection.execute("SELECT \(Self.columns) FROM outcomes ORDER BY created_ms DESC LIMIT $1", [.int(Int64(limit))])
            .map(Self.record)
    }

    func quality(sinceMs: Int64, latest: Int) throws(StoreError) -> [QualityCell] {
        try connection.execute(QualityCell.query(postgres: true), [.int(sinceMs), .int(Int64(latest))]).map { row in
            QualityCell(
                model: row[0] ?? "", cluster: row[1].flatMap { Int($0) }, source: FeedbackRecord.Source(rawValue: row[2] ?? "") ?? .user,
                count: Int(row[3] ?? "") ?? 0, scoreSum: Double(row[4] ?? "") ?? 0)
        }
    }

    func prune(beforeMs: Int64, maxBytes: Int64?) throws(StoreError) -> Int {
        var removed = Int(Self.scalar(try connection.execute(
            "WITH gone AS (DELETE FROM outcomes WHERE created_ms < $1 RETURNING 1) SELECT count(*) FROM gone", [.int(beforeMs)])) ?? "0") ?? 0
        try connection.execute("DELETE FROM spend WHERE day < $1", [.int(Int64(OutcomeRecord.day(ofMs: beforeMs)))])
        guard let maxBytes else { return removed }
        while case let used = try usedBytes(), used > maxBytes {
            let count = Int(Self.scalar(try connection.execute("SELECT count(*) FROM outcomes")) ?? "0") ?? 0
            let batch = Int(Self.scalar(try connection.execute("""
                WITH gone AS (DELETE FROM outcomes WHERE id IN (SELECT id FROM outcomes ORDER BY created_ms LIMIT $1) RETURNING 1)
                SELECT count(*) FROM gone
                """, [.int(Int64(RetentionStep.rows(count: count, used: used, limit: maxBytes)))])) ?? "0") ?? 0
            if batch == 0 { break }
            removed += batch
        }
        return removed
    }

    /// The live records' size: their count times the mean size of the newest thousand (the
    /// relation's size on disk shrinks only when VACUUM runs, so it cannot say what a delete freed).
    func usedBytes() throws(StoreError) -> Int64 {
        let row = try connection.execute("""
            SELECT (SELECT count(*) FROM outcomes) * coalesce((SELECT avg(pg_column_size(o.*))
              FROM (SELECT * FROM outcomes ORDER BY created_ms DESC LIMIT 1000) o), 0)
            + (SELECT count(*) FROM feedback) * coalesce((SELECT avg(pg_column_size(f.*)) FROM (SELECT * FROM feedback LIMIT 1000) f), 0)
            """).first
        return Int64(Double((row?.first ?? nil) ?? "0") ?? 0)
    }

    /// The first column of the first row.
    private static func scalar(_ rows: [[String?]]) -> String? { rows.first?.first ?? nil }
}
