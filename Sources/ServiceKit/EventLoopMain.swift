import ArgumentParser
import NIOCore
import NIOPosix

extension AsyncParsableCommand {
    /// Parses the arguments and runs the command with Swift concurrency's global executor
    /// replaced by NIO's event loops: a request's task runs on the loops its connections use, so
    /// awaiting network calls and answering costs no hop to another thread pool and back.
    ///
    /// Only for services whose tasks never block or compute for long (a task on an event loop
    /// delays that loop's I/O). The gateway uses it (its front door: +10-15% requests/s); the
    /// router gained nothing measurable on prompts (hash embedding in the task) and does not.
    public static func mainOnEventLoops() async {
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        do {
            var command = try parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
