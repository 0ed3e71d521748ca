import Wire

/// The store on one SQLite file (WAL): the embedded default, for a gateway on one machine.
final class SQLiteBackend: StoreBackend {
    let database: SQLiteDatabase
    var name: String { "sqlite:\(database.path)" }

    init(path: String, synchronous: SQLiteDatabase.Synchronous = .normal, readOnly: Bool = false) throws(StoreError) {
        database = try SQLiteDatabase(path: path, synchronous: synchronous, readOnly: readOnly)
    }

    func migrate() throws(StoreError) {
        try database.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        let current = try currentVersion()
        guard current <= StoreSchema.version else {
            throw .failed("\(name) is at schema version \(current), newer than this build's \(StoreSchema.version): run a newer switchyard")
        }
        for version in (current + 1)..<(StoreSchema.version + 1) {
            try database.transaction { () throws(StoreError) in
                try database.execute(StoreSchema.migration(version, postgres: false))
                try database.execute("DELETE FROM schema_version")
                try database.statement("INSERT INTO schema_version (version) VALUES (?1)").bind([.int(Int64(version))]).run()
            }
        }
    }

    private func currentVersion() throws(StoreError) -> Int {
        try database.rows("SELECT version FROM schema_version") { Int($0.int(0)) }.first ?? 0
    }

    func schemaVersion() throws(StoreError) -> Int {
        let exists = try !database.rows("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'") { _ in true }.isEmpty
        return exists ? try currentVersion() : 0
    }

    private static let insertOutcome = """
        INSERT INTO outcomes (id, created_ms, api_key, router, router_version, candidates, model, attempts, status, cost_usd,
          input_tokens, output_tokens, tokens_estimated, first_token_ms, latency_ms, streamed, embedding, prompt, explored, cluster,
          decision)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)
        ON CONFLICT (id) DO NOTHING
        """

    func apply(_ writes: [StoreWrite]) throws(StoreError) -> [StoreWriteResult] {
        try database.transaction { () throws(StoreError) in
            var results: [StoreWriteResult] = []
            results.reserveCapacity(writes.count)
            for write in writes {
                switch write {
                case .outcome(let record, let settling):
                    try insert(record)
                    if let settling { try database.statement("DELETE FROM holds WHERE id = ?1").bind([.text(settling)]).run() }
                    results.append(.written)
                case .feedback(let feedback):
                    results.append(try upsert(feedback))
                case .spend(let key, let day, let usd):
                    try addSpend(usd, key: key, day: day)
                    results.append(.written)
                }
            }
            return results
        }
    }

    private func insert(_ r: OutcomeRecord) throws(StoreError) {
        try database.statement(Self.insertOutcome).bind([
            .text(r.id), .int(r.createdMs), r.key.map(SQLiteValue.text) ?? .null, r.router.map(SQLiteValue.text) ?? .null,
            r.routerVersion.map(SQLiteValue.text) ?? .null, .text(r.candidatesJSON), r.model.map(SQLiteValue.text) ?? .null,
            .text(r.attemptsJSON), .int(Int64(r.status)), .double(r.costUSD), .int(Int64(r.inputTokens)), .int(Int64(r.outputTokens)),
            .int(r.tokensEstimated ? 1 : 0), r.firstTokenMs.map(SQLiteValue.double) ?? .null, .double(r.latencyMs),
            .int(r.streamed ? 1 : 0), r.embeddingBytes.map(SQLiteValue.blob) ?? .null, r.prompt.map(SQLiteValue.text) ?? .null,
            .int(r.explored ? 1 : 0), r.decision?.nearestCluster.map { .int(Int64($0)) } ?? .null,
            r.decisionJSON.map(SQLiteValue.text) ?? .null,
        ]).run()
        if let key = r.key, r.costUSD > 0 { try addSpend(r.costUSD, key: key, day: OutcomeRecord.day(ofMs: r.createdMs)) }
    }

    private func addSpend(_ usd: Double, key: String, day: Int) throws(StoreError) {
        try database.statement("""
            INSERT INTO spend (api_key, day, spent_usd) VALUES (?1, ?2, ?3)
            ON CONFLICT (api_key, day) DO UPDATE SET spent_usd = spent_usd + excluded.spent_usd
            """).bind([.text(key), .int(Int64(day)), .double(usd)]).run()
    }

    private func upsert(_ f: FeedbackRecord) throws(StoreError) -> StoreWriteResult {
        guard let owner = try database.rows("SELECT api_key FROM outcomes WHERE id = ?1", [.text(f.id)], { $0.text(0) }).first else {
            return .refused(FeedbackRules.unknown(f.id))
        }
        if let refusal = FeedbackRules.refusal(f, recordKey: owner) { return .refused(refusal) }
        let replacing = try !database.rows(
            "SELECT 1 FROM feedback WHERE id = ?1 AND source = ?2", [.text(f.id), .text(f.source.rawValue)], { _ in true }).isEmpty
        try database.statement("""
            INSERT INTO feedback (id, source, score, comment, api_key, created_ms, seq)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, (SELECT coalesce(max(seq), 0) + 1 FROM feedback))
            ON CONFLICT (id, source) DO UPDATE SET score = excluded.score, comment = excluded.comment, api_key = excluded.api_key,
              created_ms = excluded.created_ms, revisions = revisions + 1, seq = excluded.seq
            """).bind([
                .text(f.id), .text(f.source.rawValue), .double(f.score), f.comment.map(SQLiteValue.text) ?? .null,
                f.key.map(SQLiteValue.text) ?? .null, .int(f.createdMs),
            ]).run()
        return .feedback(replacing ? .replaced : .recorded)
    }

    func spend(day: Int) throws(StoreError) -> [String: Double] {
        let rows = try database.rows("SELECT api_key, spent_usd FROM spend WHERE day = ?1", [.int(Int64(day))]) { ($0.text(0) ?? "", $0.double(1)) }
        return Dictionary(rows) { _, last in last }
    }

    private static let columns = """
        id, created_ms, api_key, router, router_version, candidates, model, attempts, status, cost_usd, input_tokens,
        output_tokens, tokens_estimated, first_token_ms, latency_ms, streamed, embedding, prompt, explored, decision
        """

    func outcomes(fromMs: Int64, toMs: Int64, limit: Int) throws(StoreError) -> [StoredOutcome] {
        let records = try database.rows(
            "SELECT \(Self.columns) FROM outcomes WHERE created_ms >= ?1 AND created_ms < ?2 ORDER BY created_ms, id LIMIT ?3",
            [.int(fromMs), .int(toMs), .int(Int64(limit))], Self.record)
        let feedback = try self.feedback(of: Set(records.map(\.id)), fromMs: fromMs, toMs: toMs)
        return records.map { StoredOutcome(record: $0, feedback: feedback[$0.id] ?? []) }
    }

    func outcome(id: String) throws(StoreError) -> StoredOutcome? {
        guard let record = try database.rows("SELECT \(Self.columns) FROM outcomes WHERE id = ?1", [.text(id)], Self.record).first else {
            return nil
        }
        return StoredOutcome(record: record, feedback: try feedback(of: [id], fromMs: record.createdMs, toMs: record.createdMs + 1)[id] ?? [])
    }

    /// The feedback of the records in `ids`, created in [fromMs, toMs).
    private func feedback(of ids: Set<String>, fromMs: Int64, toMs: Int64) throws(StoreError) -> [String: [FeedbackRecord]] {
        guard !ids.isEmpty else { return [:] }
        let rows = try database.rows("""
            SELECT f.id, f.source, f.score, f.comment, f.api_key, f.created_ms FROM feedback f JOIN outcomes o ON o.id = f.id
            WHERE o.created_ms >= ?1 AND o.created_ms < ?2
            """, [.int(fromMs), .int(toMs)]) { row in
            FeedbackRecord(
                id: row.text(0) ?? "", score: row.double(2), comment: row.text(3), source: FeedbackRecord.Source(rawValue: row.text(1) ?? "") ?? .user,
                key: row.text(4), createdMs: row.int(5))
        }
        var found: [String: [FeedbackRecord]] = [:]
        for feedback in rows where ids.contains(feedback.id) { found[feedback.id, default: []].append(feedback) }
        return found
    }

    private static func record(_ s: SQLiteStatement) -> OutcomeRecord {
        OutcomeRecord(
            id: s.text(0) ?? "", createdMs: s.int(1), key: s.text(2), router: s.text(3), routerVersion: s.text(4),
            candidates: OutcomeRecord.decoded([OutcomeRecord.Candidate].self, from: s.text(5)) ?? [], model: s.text(6),
            attempts: OutcomeRecord.decoded([OutcomeRecord.Attempt].self, from: s.text(7)) ?? [], status: Int32(s.int(8)),
            costUSD: s.double(9), inputTokens: UInt32(clamping: s.int(10)), outputTokens: UInt32(clamping: s.int(11)),
            tokensEstimated: s.int(12) != 0, firstTokenMs: s.isNull(13) ? nil : s.double(13), latencyMs: s.double(14),
            streamed: s.int(15) != 0, embedding: OutcomeRecord.embedding(fromBytes: s.blob(16)), prompt: s.text(17),
            explored: s.int(18) != 0, decision: OutcomeRecord.decoded(OutcomeRecord.Decision.self, from: s.text(19)))
    }

    func recent(limit: Int) throws(StoreError) -> [OutcomeRecord] {
        try database.rows("SELECT \(Self.columns) FROM outcomes ORDER BY created_ms DESC LIMIT ?1", [.int(Int64(limit))], Self.record)
    }

    func quality(sinceMs: Int64, latest: Int) throws(StoreError) -> [QualityCell] {
        try database.rows(QualityCell.query(postgres: false), [.int(sinceMs), .int(Int64(latest))]) { row in
            QualityCell(
                model: row.text(0) ?? "", cluster: row.isNull(1) ? nil : Int(row.int(1)),
                source: FeedbackRecord.Source(rawValue: row.text(2) ?? "") ?? .user, count: Int(row.int(3)), scoreSum: row.double(4))
        }
    }

    func prune(beforeMs: Int64, maxBytes: Int64?) throws(StoreError) -> Int {
        var removed = try database.transaction { () throws(StoreError) in
            try database.statement("DELETE FROM outcomes WHERE created_ms < ?1").bind([.int(beforeMs)]).run()
            let count = database.changes
            try database.statement("DELETE FROM spend WHERE day < ?1").bind([.int(Int64(OutcomeRecord.day(ofMs: beforeMs)))]).run()
            return count
        }
        guard let maxBytes else { return removed }
        while case let used = try usedBytes(), used > maxBytes {
            let count = try database.rows("SELECT count(*) FROM outcomes") { Int($0.int(0)) }.first ?? 0
            let batch = try database.transaction { () throws(StoreError) in
                try database.statement("DELETE FROM outcomes WHERE id IN (SELECT id FROM outcomes ORDER BY created_ms LIMIT ?1)")
                    .bind([.int(Int64(RetentionStep.rows(count: count, used: used, limit: maxBytes)))]).run()
                return database.changes
            }
            if batch == 0 { break }
            removed += batch
        }
        return removed
    }

    func usedBytes() throws(StoreError) -> Int64 { try database.usedBytes() }
}

/// Who may rate what, the same in every store.
enum FeedbackRules {
    static func unknown(_ id: String) -> RPCError {
        RPCError(.notFound, "no answer with id \(id) (unknown, or older than the store keeps)")
    }

    /// Why `feedback` may not rate a record made by the key named `recordKey`; nil when it may.
    /// An application's score must come with the key that made the request (when one did); the
    /// judge's comes from the gateway itself.
    static func refusal(_ feedback: FeedbackRecord, recordKey: String?) -> RPCError? {
        guard feedback.source == .user, let recordKey, recordKey != feedback.key else { return nil }
        return RPCError(.permissionDenied, "answer \(feedback.id) was made with another API key; only that key may rate it")
    }
}
