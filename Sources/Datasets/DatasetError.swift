/// A data file that cannot be used, with where and why.
public struct DatasetError: Error, CustomStringConvertible, Equatable {
    public var file: String
    /// 1-based line, when the problem is on one line.
    public var line: Int?
    public var reason: String

    public init(file: String, line: Int? = nil, _ reason: String) {
        self.file = file
        self.line = line
        self.reason = reason
    }

    public var description: String { line.map { "\(file):\($0): \(reason)" } ?? "\(file): \(reason)" }
}
