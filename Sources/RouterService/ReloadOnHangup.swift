import Logging
import ServiceLifecycle
import UnixSignals

/// Reloads the router model from its file on every SIGHUP, as `kill -HUP` users expect, through
/// the same `ModelReloader` as Reload calls (in order with them, and checked the same way).
public struct ReloadOnHangup: Service {
    let reloader: ModelReloader
    let logger: Logger

    public init(reloader: ModelReloader, logger: Logger) {
        self.reloader = reloader
        self.logger = logger
    }

    public func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            do {
                let (previous, current) = try await reloader.reload()
                logger.notice("SIGHUP: reloaded router model", metadata: [
                    "path": "\(current.path)", "version": "\(current.version)", "previous": "\(previous.version)",
                ])
            } catch {
                logger.error("SIGHUP: reload failed, still serving the old model", metadata: [
                    "error": "\(error)", "version": "\(reloader.state.current.version)",
                ])
            }
        }
    }
}
