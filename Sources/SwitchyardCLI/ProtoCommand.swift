import ArgumentParser
import Foundation
import Wire

/// `switchyard proto`: decodes and re-encodes single messages with the Swift message layer, for
/// looking at captured bytes and for checking the layer against other protobuf runtimes.
struct ProtoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proto",
        abstract: "Decode one serialized message from stdin with Switchyard's Swift message layer.",
        discussion: """
            Reads the serialized bytes of one message of proto/ on standard input. `decode` prints the \
            Swift value as JSON (property names as in Swift, enums by their proto names, oneofs as \
            {case: value}); `echo` writes the message re-encoded by protobuf-c to standard output.
            """,
        subcommands: [Decode.self, Echo.self])

    struct Decode: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the message on stdin as JSON.")
        @Argument(help: "The message's full name, e.g. switchyard.v1.RouteRequest.") var message: String

        func run() throws {
            let value = try ProtoCommand.read(message)
            let json = try JSONSerialization.data(withJSONObject: MirrorJSON.value(of: value), options: [.sortedKeys])
            print(String(decoding: json, as: UTF8.self))
        }
    }

    struct Echo: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Decode the message on stdin and write it re-encoded.")
        @Argument(help: "The message's full name, e.g. switchyard.v1.RouteRequest.") var message: String

        func run() throws {
            FileHandle.standardOutput.write(Data(try ProtoCommand.read(message).serializedBytes()))
        }
    }

    static func read(_ name: String) throws -> any ProtoMessage {
        guard let type = protoMessageTypes[name] else {
            throw ValidationError("no message \(name) in proto/; known: \(protoMessageTypes.keys.sorted().joined(separator: ", "))")
        }
        let bytes = [UInt8](FileHandle.standardInput.readDataToEndOfFile())
        do {
            return try type.init(serialized: bytes)
        } catch {
            throw CommandFailure("\(error)")
        }
    }
}

/// A Swift value as a JSON object, through reflection.
enum MirrorJSON {
    static func value(of value: Any) -> Any {
        switch value {
        case let text as String: return text
        case let flag as Bool: return flag
        case let number as Double: return number
        case let number as Float: return Double(number)
        case let number as Int32: return number
        case let number as UInt32: return number
        case let number as Int64: return number
        case let number as UInt64: return number
        case let bytes as [UInt8]: return bytes.map { Int($0) }
        case let described as any ProtoEnum & CustomStringConvertible: return described.description
        default: break
        }
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .optional:
            return mirror.children.first.map { Self.value(of: $0.value) } ?? NSNull()
        case .collection:
            return mirror.children.map { Self.value(of: $0.value) }
        case .enum:
            // A oneof: {case: payload}.
            guard let child = mirror.children.first, let label = child.label else { return "\(value)" }
            return [label: Self.value(of: child.value)]
        default:
            var object: [String: Any] = [:]
            for child in mirror.children {
                if let label = child.label { object[label] = Self.value(of: child.value) }
            }
            return object
        }
    }
}
