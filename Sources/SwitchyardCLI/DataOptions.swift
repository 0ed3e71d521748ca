import ArgumentParser
import Datasets
import Foundation
import RouterCore

/// Where the data and prices come from, shared by train and eval.
struct DataOptions: ParsableArguments {
    @Option(name: .customLong("data"), help: "A dataset file (JSONL or JSONL.gz); repeat to pool several.")
    var dataFiles: [String] = []

    @Option(help: "The price table (JSON: model -> dollars per 1M input/output tokens and source; default: data/prices.json here, else the repository's or image's the executable came with).")
    var prices: String?

    @Option(help: "Leave out models scored on fewer than this share of prompts.")
    var minimumCoverage = 0.9

    func validate() throws {
        if dataFiles.isEmpty { throw ValidationError("give at least one --data file") }
        if !(0...1).contains(minimumCoverage) { throw ValidationError("--minimum-coverage must be in [0, 1]") }
    }

    func priceTable() throws -> PriceTable {
        if let prices { return try PriceFile.load(prices) }
        guard let bundled = BundledFile.find("data/prices.json") else {
            throw ValidationError("no price table: data/prices.json is neither here nor beside the executable; pass --prices FILE "
                + "(a JSON object of model -> {\"input_per_million\", \"output_per_million\"} dollars)")
        }
        return try PriceFile.load(bundled)
    }


    /// `files` read, pooled and completed (or kept as recorded, gaps marked, with `observed`),
    /// with what was left out printed to stderr.
    func load(_ files: [String], prices: PriceTable, observed: Bool = false) throws -> PooledData {
        let coverage: PooledData.Coverage = observed ? .observed(minimumPrompts: 5) : .complete(minimumShare: minimumCoverage)
        let data = try PooledData(files: files, prices: prices, coverage: coverage)
        for line in data.report.lines { stderr("note: \(line)") }
        return data
    }
}

/// Files the repository ships (the price table, the trained routers), found from wherever a
/// command runs: in this directory, then in each folder above the executable (a build in a
/// checkout: .build/release/switchyard), then at the image's root (/data/prices.json).
enum BundledFile {
    static func find(_ relative: String) -> String? {
        var candidates = [relative]
        var folder = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        while folder.path != "/" {
            candidates.append(folder.appendingPathComponent(relative).path)
            folder.deleteLastPathComponent()
        }
        candidates.append("/" + relative)
        return candidates.first(where: FileManager.default.fileExists(atPath:))
    }
}

/// Writes a line to standard error.
func stderr(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// A one-line progress bar on standard error.
struct ProgressBar {
    let label: String

    /// Redrawn in place on a terminal; only the final state when stderr is a file or pipe.
    private let interactive = isatty(2) != 0

    func update(_ done: Int, _ total: Int) {
        guard interactive || done >= total else { return }
        let width = 30
        let filled = total > 0 ? min(width, done * width / total) : width
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(done)/\(total)".utf8))
    }

    func finish() { FileHandle.standardError.write(Data("\n".utf8)) }
}
