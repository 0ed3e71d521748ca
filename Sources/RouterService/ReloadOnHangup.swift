import Logging
import ServiceLifecycle
import UnixSignals

/// Reloads the router model from its file on every SIGHUP, as `kill -HUP` users expect.
public struct ReloadOnHangup: Service {
    let state: RouterState
    let logger: Logger

    public init(state: RouterState, logger: Logger) {
        self.state = state
        self.logger = logger
    }

    public func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            do {
                let (previous, current) = try state.reload()
                logger.notice("SIGHUP: reloaded router model", metadata: [
                    "path": "\(current.path)", "version": "\(current.version)", "previous": "\(previous.version)",
                ])
            } catch {
                logger.error("SIGHUP: reload failed, still serving the old model", metadata: [
                    "error": "\(error)", "version": "\(state.current.version)",
                ])
            }
        }
    }
}
