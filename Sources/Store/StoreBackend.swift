import Foundation
import Wire

/// One write the writer groups with others into a transaction.
enum StoreWrite: Sendable {
    /// A record; `settling`, the id of the budget hold its cost replaces, is let go in the same
    /// transaction that books the cost (so the cost never counts twice, held and spent).
    case outcome(OutcomeRecord, settling: String? = nil)
    case feedback(FeedbackRecord)
    /// Dollars spent on UTC day `day` by what is not an answer's record (the judge's grading).
    case spend(key: String, day: Int, usd: Double)
}

/// What became of one write of a committed transaction.
enum StoreWriteResult: Sendable {
    case written
    case feedback(FeedbackOutcome)
    /// Refused on its own (an unknown request id, another key's request); the others committed.
    case refused(RPCError)
}

/// A stored record with the feedback it got.
public struct StoredOutcome: Sendable, Equatable {
    public var record: OutcomeRecord
    public var feedback: [FeedbackRecord]
}

/// A database the store runs on: SQLite or PostgreSQL, through one connection that belongs to
/// one thread (the writer's, or a reader's). Every method is one transaction.
protocol StoreBackend: AnyObject {
    /// "sqlite:PATH" or "postgres://..." (password left out), for messages.
    var name: String { get }

    /// Brings the schema to the newest version this build knows (`StoreSchema`); refuses a
    /// database a newer build has migrated.
    func migrate() throws(StoreError)

    /// The schema version the database is at (0: none yet).
    func schemaVersion() throws(StoreError) -> Int

    /// Applies `writes` in order, in one transaction: records inserted (and their cost added to
    /// their key's spend of that day), feedback checked against its record and upserted. One
    /// result per write; throws (nothing applied) when the transaction cannot commit.
    func apply(_ writes: [StoreWrite]) throws(StoreError) -> [StoreWriteResult]

    /// Dollars each key has spent on UTC day `day` (booked by `apply`).
    func spend(day: Int) throws(StoreError) -> [String: Double]

    /// Records created in [from, to) ms with their feedback, oldest first, at most `limit`.
    func outcomes(fromMs: Int64, toMs: Int64, limit: Int) throws(StoreError) -> [StoredOutcome]

    /// One record with its feedback; nil when there is none.
    func outcome(id: String) throws(StoreError) -> StoredOutcome?

    /// The newest `limit` records, newest first.
    func recent(limit: Int) throws(StoreError) -> [OutcomeRecord]

    /// The latest `latest` scores created since `sinceMs`, counted and summed per answering
    /// model, nearest cluster and source.
    func quality(sinceMs: Int64, latest: Int) throws(StoreError) -> [QualityCell]

    /// Deletes records (and their feedback) created before `beforeMs`, then the oldest until the
    /// records take at most `maxBytes` (nil: no size bound); returns how many went.
    func prune(beforeMs: Int64, maxBytes: Int64?) throws(StoreError) -> Int

    /// Bytes the records and feedback take.
    func usedBytes() throws(StoreError) -> Int64
}

/// The schema, as migrations from version 0: each step runs once, in order, in a transaction,
/// and `schema_version` says how far a database is.
enum StoreSchema {
    /// The newest version.
    static let version = 4

    /// Version 1: records, feedback (one score per request and source), spend per key and day.
    /// `sqlite` and `postgres` differ only in types.
    static func migration(_ version: Int, postgres: Bool) -> String {
        let real = postgres ? "DOUBLE PRECISION" : "REAL"
        let blob = postgres ? "BYTEA" : "BLOB"
        let big = postgres ? "BIGINT" : "INTEGER"
        switch version {
        case 1:
            return """
                CREATE TABLE outcomes (
                  id TEXT PRIMARY KEY,
                  created_ms \(big) NOT NULL,
                  api_key TEXT,
                  router TEXT,
                  router_version TEXT,
                  candidates TEXT NOT NULL,
                  model TEXT,
                  attempts TEXT NOT NULL,
                  status INTEGER NOT NULL,
                  cost_usd \(real) NOT NULL,
                  input_tokens INTEGER NOT NULL,
                  output_tokens INTEGER NOT NULL,
                  tokens_estimated INTEGER NOT NULL,
                  first_token_ms \(real),
                  latency_ms \(real) NOT NULL,
                  streamed INTEGER NOT NULL,
                  embedding \(blob),
                  prompt TEXT
                );
                CREATE INDEX outcomes_created ON outcomes (created_ms);
                CREATE TABLE feedback (
                  id TEXT NOT NULL REFERENCES outcomes (id) ON DELETE CASCADE,
                  source TEXT NOT NULL,
                  score \(real) NOT NULL,
                  comment TEXT,
                  api_key TEXT,
                  created_ms \(big) NOT NULL,
                  revisions INTEGER NOT NULL DEFAULT 1,
                  PRIMARY KEY (id, source)
                );
                CREATE TABLE spend (
                  api_key TEXT NOT NULL,
                  day INTEGER NOT NULL,
                  spent_usd \(real) NOT NULL,
                  PRIMARY KEY (api_key, day)
                );
                """
        case 2:
            // Budget holds of requests in flight, shared by every gateway on a PostgreSQL store
            // (one gateway on SQLite holds in memory): a hold counts until it is released or its
            // gateway's lease runs out (a gateway that died releases nothing).
            let holds = """
                CREATE TABLE holds (
                  id TEXT PRIMARY KEY,
                  api_key TEXT NOT NULL,
                  day INTEGER NOT NULL,
                  amount_usd \(real) NOT NULL,
                  expires_ms \(big) NOT NULL
                );
                CREATE INDEX holds_key_day ON holds (api_key, day);
                """
            guard postgres else { return holds }
            return holds + """
                CREATE FUNCTION switchyard_hold(p_key TEXT, p_day INTEGER, p_amount DOUBLE PRECISION, p_budget DOUBLE PRECISION,
                                                p_id TEXT, p_now BIGINT, p_expires BIGINT) RETURNS DOUBLE PRECISION AS $$
                DECLARE
                  spent DOUBLE PRECISION;
                  held DOUBLE PRECISION;
                BEGIN
                  INSERT INTO spend (api_key, day, spent_usd) VALUES (p_key, p_day, 0) ON CONFLICT DO NOTHING;
                  -- The key's spend row, locked: holds of one key are decided one at a time, across gateways.
                  SELECT spent_usd INTO spent FROM spend WHERE api_key = p_key AND day = p_day FOR UPDATE;
                  SELECT coalesce(sum(amount_usd), 0) INTO held FROM holds WHERE api_key = p_key AND day = p_day AND expires_ms > p_now;
                  IF spent + held + p_amount > p_budget + \(BudgetSlack.dollars) THEN
                    RETURN NULL;
                  END IF;
                  INSERT INTO holds (id, api_key, day, amount_usd, expires_ms) VALUES (p_id, p_key, p_day, p_amount, p_expires);
                  RETURN p_budget - spent - held - p_amount;
                END
                $$ LANGUAGE plpgsql;
                """
        case 3:
            // The learner's: whether an answer explored, feedback in the order it committed (the
            // learner's cursor), the router versions it published, and its lease and pin.
            let serial = postgres ? "BIGSERIAL PRIMARY KEY" : "INTEGER PRIMARY KEY"
            let numbering = postgres
                ? "CREATE SEQUENCE feedback_numbers; UPDATE feedback SET seq = nextval('feedback_numbers');"
                : "UPDATE feedback SET seq = rowid;"
            return """
                ALTER TABLE outcomes ADD COLUMN explored INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE feedback ADD COLUMN seq \(big);
                \(numbering)
                CREATE INDEX feedback_seq ON feedback (seq);
                CREATE TABLE router_versions (
                  seq \(serial),
                  version TEXT NOT NULL UNIQUE,
                  created_ms \(big) NOT NULL,
                  feedback_seq \(big) NOT NULL,
                  observations \(big) NOT NULL,
                  summary TEXT NOT NULL,
                  router_file \(blob) NOT NULL
                );
                CREATE TABLE learner (
                  name TEXT PRIMARY KEY,
                  holder TEXT,
                  expires_ms \(big) NOT NULL DEFAULT 0,
                  pinned_version TEXT
                );
                """
        case 4:
            // What decided each routed answer (for explanations) and its nearest cluster (for
            // quality per cluster); feedback by time (the dashboard's recent quality).
            return """
                ALTER TABLE outcomes ADD COLUMN cluster INTEGER;
                ALTER TABLE outcomes ADD COLUMN decision TEXT;
                CREATE INDEX feedback_created ON feedback (created_ms);
                """
        default:
            fatalError("no migration to schema version \(version)")
        }
    }

    /// A read-only connection to the store at `location` (SQLite opened read-only; the file must
    /// exist), for readers that never migrate. Refuses a store at another schema version, saying
    /// what to do about it (the gateway migrates the store when it opens it).
    static func openForReading(_ location: StoreLocation) throws(StoreError) -> any LearningBackend {
        let backend: any LearningBackend
        switch location {
        case .sqlite(let path):
            guard FileManager.default.fileExists(atPath: path) else { throw StoreError.unavailable("no store at \(path)") }
            backend = try SQLiteBackend(path: path, readOnly: true)
        case .postgres(let url):
            backend = try PostgresBackend(url: url)
        }
        let found = try backend.schemaVersion()
        guard found != version else { return backend }
        throw .failed(found < version
            ? "\(backend.name) is at schema version \(found); this build reads version \(version): start this build's gateway on it once (it migrates the store), or read it with the build that wrote it"
            : "\(backend.name) is at schema version \(found), newer than this build's \(version): run a newer switchyard")
    }

    /// The most a feedback comment may hold (characters); longer ones are refused.
    static let maxCommentCharacters = 2000
}

/// How far a budget's arithmetic may overshoot and still count as within it: sums of dollars in
/// binary floating point drift by a few ulps (25 answers of $0.002 add up to a hair over $0.05).
public enum BudgetSlack {
    /// A billionth of a dollar.
    public static let dollars = 1e-9
}

/// How many of the oldest records a size-bound prune deletes in one step: the share of rows the
/// store is over its bound by, at least one and at most a thousand (so a step stays short).
enum RetentionStep {
    static func rows(count: Int, used: Int64, limit: Int64) -> Int {
        guard used > 0 else { return 1 }
        let over = Double(used - limit) / Double(used)
        return max(1, min(1000, Int((Double(count) * over).rounded(.up))))
    }
}
