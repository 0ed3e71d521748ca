/// Keeps the best model seen while training and says when to stop: after `patience` epochs in a
/// row without a validation loss lower than the best by more than 1e-7.
struct EarlyStopping<Model> {
    let patience: Int
    private(set) var best: Model
    private(set) var bestLoss = Double.infinity
    private var stale = 0

    /// Starts with `initial` as the best (until an epoch does better).
    init(initial: Model, patience: Int) {
        self.best = initial
        self.patience = patience
    }

    /// An epoch ended with `model` at validation `loss`; true when training should stop.
    mutating func shouldStop(after model: Model, loss: Double) -> Bool {
        if loss < bestLoss - 1e-7 {
            bestLoss = loss
            best = model
            stale = 0
            return false
        }
        stale += 1
        return stale >= patience
    }
}
