import Foundation
import RouterCore
import RouterFile

/// A router file loaded and ready to decide: its bundle of routers, its models by name, and where
/// it came from. Immutable; a reload builds a new one.
public final class LoadedRouter: Sendable {
    public let bundle: RouterBundle
    /// The file it was loaded from.
    public let path: String
    /// Model name -> index into `bundle.models`.
    public let modelIndex: [String: Int]
    /// When it was loaded, milliseconds since 1970 (UTC).
    public let loadedMs: Int64 = Int64((Date().timeIntervalSince1970 * 1000).rounded())

    public init(bundle: RouterBundle, path: String) {
        self.bundle = bundle
        self.path = path
        self.modelIndex = Dictionary(uniqueKeysWithValues: bundle.models.enumerated().map { ($1, $0) })
    }

    /// Loads `path`; a missing file is NOT_FOUND and a bad one INVALID_ARGUMENT, both naming the file.
    public static func load(_ path: String) throws -> LoadedRouter {
        guard FileManager.default.fileExists(atPath: path) else {
            throw RouterLoadError(path: path, reason: "no such file", missing: true)
        }
        do {
            return LoadedRouter(bundle: try RouterFile.load(path), path: path)
        } catch {
            throw RouterLoadError(path: path, reason: "\(error)", missing: false)
        }
    }

    /// Loads a router file's bytes (a published version); `path` is what the replica reports
    /// and reloads on SIGHUP. A bad file is INVALID_ARGUMENT.
    public static func load(bytes: [UInt8], path: String) throws -> LoadedRouter {
        do {
            return LoadedRouter(bundle: try RouterFile.decode(bytes), path: path)
        } catch {
            throw RouterLoadError(path: "(\(bytes.count) bytes sent with Reload)", reason: "\(error)", missing: false)
        }
    }

    public var version: String { bundle.version }
    public var models: [String] { bundle.models }
    public var embedder: EmbedderSpec { bundle.embedder }
}

/// A router file that could not be loaded.
public struct RouterLoadError: Error, CustomStringConvertible {
    public var path: String
    public var reason: String
    /// True when the file does not exist.
    public var missing: Bool

    public var description: String { "cannot load router file \(path): \(reason)" }
}
