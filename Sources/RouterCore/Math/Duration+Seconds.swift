extension Duration {
    /// The duration in seconds (RouterCore's own: it imports no service module).
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
