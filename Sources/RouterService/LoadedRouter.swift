import Foundation
import RouterCore
import RouterFile

/// A router model loaded from a file, ready to decide: the router, its models by name, and where
/// it came from. Immutable; a reload builds a new one.
public final class LoadedRouter: Sendable {
    public let router: ClusterRouter
    /// The file it was loaded from.
    public let path: String
    /// Model name -> index into `router.model.models`.
    public let modelIndex: [String: Int]

    public init(router: ClusterRouter, path: String) {
        self.router = router
        self.path = path
        self.modelIndex = Dictionary(uniqueKeysWithValues: router.model.models.enumerated().map { ($1, $0) })
    }

    /// Loads `path`; a missing file is NOT_FOUND and a bad one INVALID_ARGUMENT, both naming the file.
    public static func load(_ path: String) throws -> LoadedRouter {
        guard FileManager.default.fileExists(atPath: path) else {
            throw RouterLoadError(path: path, reason: "no such file", missing: true)
        }
        do {
            return LoadedRouter(router: try ClusterRouter(model: try RouterFile.load(path)), path: path)
        } catch {
            throw RouterLoadError(path: path, reason: "\(error)", missing: false)
        }
    }

    public var version: String { router.model.version }
    public var model: ClusterRouterModel { router.model }
}

/// A router file that could not be loaded.
public struct RouterLoadError: Error, CustomStringConvertible {
    public var path: String
    public var reason: String
    /// True when the file does not exist.
    public var missing: Bool

    public var description: String { "cannot load router file \(path): \(reason)" }
}
