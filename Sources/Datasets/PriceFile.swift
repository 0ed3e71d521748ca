import Foundation
import RouterCore

/// Loads a price table: JSON `{"model": {"input_per_million": 10, "output_per_million": 30,
/// "source": "https://..."}, ...}`.
public enum PriceFile {
    struct Entry: Codable {
        var inputPerMillion: Double
        var outputPerMillion: Double
        var source: String

        enum CodingKeys: String, CodingKey {
            case inputPerMillion = "input_per_million"
            case outputPerMillion = "output_per_million"
            case source
        }
    }

    public static func load(_ path: String) throws -> PriceTable {
        let text = try TextFile.read(path)
        let entries: [String: Entry]
        do {
            entries = try JSONDecoder().decode([String: Entry].self, from: Data(text.utf8))
        } catch {
            throw DatasetError(file: path, "not a price table: \(DatasetFile.describe(error))")
        }
        var table = PriceTable()
        for (model, entry) in entries {
            guard entry.inputPerMillion >= 0, entry.outputPerMillion >= 0, !entry.source.isEmpty else {
                throw DatasetError(file: path, "price of \(model) needs non-negative prices and a source")
            }
            table.prices[model] = ModelPrice(inputPerMillion: entry.inputPerMillion, outputPerMillion: entry.outputPerMillion,
                                             source: entry.source)
        }
        return table
    }
}
