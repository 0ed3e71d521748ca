import Foundation
import Store

/// A fresh SQLite store file in the temporary directory.
public func temporaryStorePath(_ name: String = "store") -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString).sqlite").path
}

/// The databases every store test runs on: SQLite, and PostgreSQL when the test command started
/// one ($SWITCHYARD_TEST_POSTGRES; scripts/test.sh does, and sets SWITCHYARD_REQUIRE_POSTGRES=1 so
/// its absence fails the run instead of skipping).
public enum Database: String, CaseIterable, Sendable {
    case sqlite, postgres

    public static var postgresURL: String? { ProcessInfo.processInfo.environment["SWITCHYARD_TEST_POSTGRES"] }

    /// A fresh, empty store location; nil when this database is not available here (said once).
    public func freshLocation() throws -> StoreLocation? {
        switch self {
        case .sqlite:
            return .sqlite(path: temporaryStorePath())
        case .postgres:
            guard let url = Self.postgresURL else {
                if ProcessInfo.processInfo.environment["SWITCHYARD_REQUIRE_POSTGRES"] == "1" {
                    throw TestFailure("SWITCHYARD_REQUIRE_POSTGRES=1 but no SWITCHYARD_TEST_POSTGRES: the test command starts PostgreSQL")
                }
                print("StoreTests: no PostgreSQL (SWITCHYARD_TEST_POSTGRES unset); PostgreSQL cases not run")
                return nil
            }
            return .postgres(url: try PostgresSchemas.fresh(url))
        }
    }
}

/// A schema of its own per test, in the test server's database, so tests run side by side.
public enum PostgresSchemas {
    public static func fresh(_ url: String) throws -> String {
        let schema = "t" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try StoreLocation.createSchema(schema, at: url)
        let separator = url.contains("?") ? "&" : "?"
        return "\(url)\(separator)options=-c%20search_path%3D\(schema)"
    }
}

public struct TestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

