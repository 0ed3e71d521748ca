import Foundation

/// A fresh temporary directory with `files` (name -> contents) written into it.
func fixtureDirectory(_ files: [String: String]) throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    for (name, contents) in files {
        try contents.write(toFile: (directory as NSString).appendingPathComponent(name), atomically: true, encoding: .utf8)
    }
    return directory
}

let weak = "mistralai/Mixtral-8x7B-Instruct-v0.1"
let strong = "gpt-4-1106-preview"
