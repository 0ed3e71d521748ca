extension SQLiteBackend: LearningBackend {
    func observations(after seq: Int64, gaps: [Int64], limit: Int) throws(StoreError) -> [LearningObservation] {
        let wanted = gaps.isEmpty ? "f.seq > ?1" : "(f.seq > ?1 OR f.seq IN (\(gaps.map(String.init).joined(separator: ","))))"
        return try database.rows("""
            SELECT f.seq, f.id, f.score, f.source, o.model, o.cost_usd, o.latency_ms, o.embedding, o.router_version, o.explored
            FROM feedback f JOIN outcomes o ON o.id = f.id WHERE \(wanted) ORDER BY f.seq LIMIT ?2
            """, [.int(seq), .int(Int64(limit))]) { row in
            LearningObservation(
                seq: row.int(0), id: row.text(1) ?? "", score: row.double(2),
                source: FeedbackRecord.Source(rawValue: row.text(3) ?? "") ?? .user, model: row.text(4),
                costUSD: row.double(5), latencyMs: row.double(6), embedding: OutcomeRecord.embedding(fromBytes: row.blob(7)),
                routerVersion: row.text(8), explored: row.int(9) != 0)
        }
    }

    func insert(_ v: RouterVersion) throws(StoreError) -> Int64 {
        try database.transaction { () throws(StoreError) in
            try database.statement("""
                INSERT INTO router_versions (version, created_ms, feedback_seq, observations, summary, router_file)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                """).bind([.text(v.version), .int(v.createdMs), .int(v.feedbackSeq), .int(v.observations), .text(v.summary), .blob(v.routerFile)]).run()
            return try database.rows("SELECT seq FROM router_versions WHERE version = ?1", [.text(v.version)]) { $0.int(0) }.first ?? 0
        }
    }

    private static let versionColumns = "seq, version, created_ms, feedback_seq, observations, summary"

    private static func version(_ row: SQLiteStatement) -> RouterVersion {
        RouterVersion(
            seq: row.int(0), version: row.text(1) ?? "", createdMs: row.int(2), feedbackSeq: row.int(3), observations: row.int(4),
            summary: row.text(5) ?? "", routerFile: row.blob(6) ?? [])
    }

    func versions(limit: Int) throws(StoreError) -> [RouterVersion] {
        try database.rows(
            "SELECT \(Self.versionColumns) FROM router_versions ORDER BY seq DESC LIMIT ?1", [.int(Int64(limit))], Self.version)
    }

    func version(named name: String?) throws(StoreError) -> RouterVersion? {
        let select = "SELECT \(Self.versionColumns), router_file FROM router_versions"
        let found = if let name {
            try database.rows("\(select) WHERE version = ?1", [.text(name)], Self.version)
        } else {
            try database.rows("\(select) ORDER BY seq DESC LIMIT 1", [], Self.version)
        }
        return found.first
    }

    func lease(holder: String, nowMs: Int64, expiresMs: Int64) throws(StoreError) -> String? {
        try database.transaction { () throws(StoreError) in
            try database.statement("""
                INSERT INTO learner (name, holder, expires_ms) VALUES ('learner', ?1, ?2)
                ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_ms = excluded.expires_ms
                WHERE learner.holder IS NULL OR learner.holder = excluded.holder OR learner.expires_ms < ?3
                """).bind([.text(holder), .int(expiresMs), .int(nowMs)]).run()
            return try database.rows("SELECT holder FROM learner WHERE name = 'learner'") { $0.text(0) }.first ?? nil
        }
    }

    func releaseLease(holder: String) throws(StoreError) {
        try database.statement("UPDATE learner SET holder = NULL, expires_ms = 0 WHERE name = 'learner' AND holder = ?1")
            .bind([.text(holder)]).run()
    }

    func pinned() throws(StoreError) -> String? {
        try database.rows("SELECT pinned_version FROM learner WHERE name = 'learner'") { $0.text(0) }.first ?? nil
    }

    func pin(_ version: String?) throws(StoreError) {
        try database.statement("""
            INSERT INTO learner (name, pinned_version) VALUES ('learner', ?1)
            ON CONFLICT (name) DO UPDATE SET pinned_version = excluded.pinned_version
            """).bind([version.map(SQLiteValue.text) ?? .null]).run()
    }

    func exploration(sinceMs: Int64) throws(StoreError) -> (answers: Int, usd: Double) {
        try database.rows(
            "SELECT count(*), coalesce(sum(cost_usd), 0) FROM outcomes WHERE explored = 1 AND created_ms >= ?1", [.int(sinceMs)]
        ) { (Int($0.int(0)), $0.double(1)) }.first ?? (0, 0)
    }
}
