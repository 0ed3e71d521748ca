extension PostgresBackend: LearningBackend {
    func observations(after seq: Int64, gaps: [Int64], limit: Int) throws(StoreError) -> [LearningObservation] {
        try connection.execute("""
            SELECT f.seq, f.id, f.score, f.source, o.model, o.cost_usd, o.latency_ms, o.embedding, o.router_version, o.explored
            FROM feedback f JOIN outcomes o ON o.id = f.id WHERE f.seq > $1 OR f.seq = ANY($2::bigint[]) ORDER BY f.seq LIMIT $3
            """, [.int(seq), .text("{" + gaps.map(String.init).joined(separator: ",") + "}"), .int(Int64(limit))]).map { row in
            LearningObservation(
                seq: Int64(row[0] ?? "") ?? 0, id: row[1] ?? "", score: Double(row[2] ?? "") ?? 0,
                source: FeedbackRecord.Source(rawValue: row[3] ?? "") ?? .user, model: row[4], costUSD: Double(row[5] ?? "") ?? 0,
                latencyMs: Double(row[6] ?? "") ?? 0, embedding: OutcomeRecord.embedding(fromBytes: PostgresConnection.bytes(row[7])),
                routerVersion: row[8], explored: row[9] == "1")
        }
    }

    func insert(_ v: RouterVersion) throws(StoreError) -> Int64 {
        let rows = try connection.execute("""
            INSERT INTO router_versions (version, created_ms, feedback_seq, observations, summary, router_file)
            VALUES ($1, $2, $3, $4, $5, $6) RETURNING seq
            """, [.text(v.version), .int(v.createdMs), .int(v.feedbackSeq), .int(v.observations), .text(v.summary), .bytes(v.routerFile)])
        return Int64((rows.first?.first ?? nil) ?? "") ?? 0
    }

    private static func version(_ row: [String?]) -> RouterVersion {
        RouterVersion(
            seq: Int64(row[0] ?? "") ?? 0, version: row[1] ?? "", createdMs: Int64(row[2] ?? "") ?? 0,
            feedbackSeq: Int64(row[3] ?? "") ?? 0, observations: Int64(row[4] ?? "") ?? 0, summary: row[5] ?? "",
            routerFile: row.count > 6 ? PostgresConnection.bytes(row[6]) ?? [] : [])
    }

    func versions(limit: Int) throws(StoreError) -> [RouterVersion] {
        try connection.execute("""
            SELECT seq, version, created_ms, feedback_seq, observations, summary FROM router_versions ORDER BY seq DESC LIMIT $1
            """, [.int(Int64(limit))]).map(Self.version)
    }

    func version(named name: String?) throws(StoreError) -> RouterVersion? {
        let columns = "seq, version, created_ms, feedback_seq, observations, summary, router_file"
        let rows = if let name {
            try connection.execute("SELECT \(columns) FROM router_versions WHERE version = $1", [.text(name)])
        } else {
            try connection.execute("SELECT \(columns) FROM router_versions ORDER BY seq DESC LIMIT 1")
        }
        return rows.first.map(Self.version)
    }

    func lease(holder: String, nowMs: Int64, expiresMs: Int64) throws(StoreError) -> String? {
        try connection.execute("""
            INSERT INTO learner (name, holder, expires_ms) VALUES ('learner', $1, $2)
            ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_ms = excluded.expires_ms
            WHERE learner.holder IS NULL OR learner.holder = excluded.holder OR learner.expires_ms < $3
            """, [.text(holder), .int(expiresMs), .int(nowMs)])
        return (try connection.execute("SELECT holder FROM learner WHERE name = 'learner'").first?.first) ?? nil
    }

    func releaseLease(holder: String) throws(StoreError) {
        try connection.execute("UPDATE learner SET holder = NULL, expires_ms = 0 WHERE name = 'learner' AND holder = $1", [.text(holder)])
    }

    func pinned() throws(StoreError) -> String? {
        (try connection.execute("SELECT pinned_version FROM learner WHERE name = 'learner'").first?.first) ?? nil
    }

    func pin(_ version: String?) throws(StoreError) {
        try connection.execute("""
            INSERT INTO learner (name, pinned_version) VALUES ('learner', $1)
            ON CONFLICT (name) DO UPDATE SET pinned_version = excluded.pinned_version
            """, [version.map(PostgresConnection.Value.text) ?? .null])
    }

    func exploration(sinceMs: Int64) throws(StoreError) -> (answers: Int, usd: Double) {
        let row = try connection.execute(
            "SELECT count(*), coalesce(sum(cost_usd), 0) FROM outcomes WHERE explored = 1 AND created_ms >= $1", [.int(sinceMs)]).first
        return (Int((row?[0] ?? nil) ?? "") ?? 0, Double((row?[1] ?? nil) ?? "") ?? 0)
    }
}
