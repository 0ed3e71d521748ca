import Testing
@testable import Gateway

/// Answer ids: well formed, time first (the store's index grows at its end), random after.
@Suite struct RequestIDTests {
    @Test func idsSortByTimeAndDifferInTheirRandomPart() {
        let early = RequestID.make(nowMs: 1_780_000_000_000), late = RequestID.make(nowMs: 1_780_000_000_001)
        #expect(early < late && RequestID.isWellFormed(early) && RequestID.isWellFormed(late))
        let same = (0..<1000).map { _ in RequestID.make(nowMs: 1_780_000_000_000) }
        #expect(Set(same).count == 1000, "89 random bits each")
        #expect(Set(same.map { $0.prefix(18) }).count == 1, "one time prefix")
    }
}
