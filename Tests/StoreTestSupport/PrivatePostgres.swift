import Foundation

/// A PostgreSQL server of one test's own (Debian's postgresql, as the test command installs it),
/// which the test may stop and start again on the same port: for outages. Its cluster lives in
/// a temporary folder owned by the postgres user when the tests run as root (initdb refuses root).
public final class PrivatePostgres: @unchecked Sendable {
    public let url: String
    private let bin: String
    private let folder: URL
    private let port: Int
    private let runAs: [String]

    /// Creates and starts the server; nil when PostgreSQL is not installed here (a failure
    /// instead under SWITCHYARD_REQUIRE_POSTGRES=1).
    public static func start() throws -> PrivatePostgres? {
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        guard let version = versions.sorted(by: { $0.compare($1, options: .numeric) == .orderedAscending }).last,
              FileManager.default.fileExists(atPath: "/usr/lib/postgresql/\(version)/bin/initdb")
        else {
            if ProcessInfo.processInfo.environment["SWITCHYARD_REQUIRE_POSTGRES"] == "1" {
                throw TestFailure("SWITCHYARD_REQUIRE_POSTGRES=1 but PostgreSQL is not installed (/usr/lib/postgresql/*/bin)")
            }
            print("no PostgreSQL installed: the outage test is not run")
            return nil
        }
        let server = try PrivatePostgres(bin: "/usr/lib/postgresql/\(version)/bin")
        try server.start()
        return server
    }

    private init(bin: String) throws {
        self.bin = bin
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-pg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        port = try Self.freePort()
        url = "postgres://postgres@127.0.0.1:\(port)/postgres"
        runAs = getuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--"] : []
        if getuid() == 0 { try run(["/usr/bin/chown", "postgres", folder.path]) }
        try run(runAs + ["\(bin)/initdb", "-D", folder.appendingPathComponent("data").path, "--auth=trust", "--username=postgres"])
    }

    /// Starts the server (again), waiting until it accepts connections.
    public func start() throws {
        try run(runAs + [
            "\(bin)/pg_ctl", "-D", folder.appendingPathComponent("data").path, "-l", folder.appendingPathComponent("server.log").path,
            "-w", "-t", "60", "-o", "-p \(port) -c listen_addresses=127.0.0.1 -k \(folder.path) -c fsync=off", "start",
        ])
    }

    /// Stops the server at once (fast shutdown: open connections are cut).
    public func stop() throws {
        try run(runAs + ["\(bin)/pg_ctl", "-D", folder.appendingPathComponent("data").path, "-m", "fast", "-w", "stop"])
    }

    /// Stops the server and deletes its cluster.
    public func remove() {
        try? stop()
        try? FileManager.default.removeItem(at: folder)
    }

    /// Runs `command` to its end (posix_spawn and waitpid: Foundation's Process at times misses
    /// the end of a child whose own child, the server, lives on). Its output goes to a file.
    private func run(_ command: [String]) throws {
        let outputPath = folder.appendingPathComponent("command.out").path
        var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        var arguments = command.map { strdup($0) } + [nil]
        defer { for argument in arguments { free(argument) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, command[0], &actions, nil, &arguments, environ)
        guard spawned == 0 else { throw TestFailure("cannot run \(command[0]): error \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1, errno == EINTR {}
        // Exited normally with 0: the low 7 bits (the signal) and the exit code are both zero.
        guard status == 0 else {
            let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            throw TestFailure("\(command.joined(separator: " ")) failed (wait status \(status)): \(text)")
        }
    }

    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw TestFailure("no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
