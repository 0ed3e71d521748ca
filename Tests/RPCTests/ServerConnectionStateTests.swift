import Testing
import Wire
@testable import RPC

/// The connection state machine alone: events in, actions out, time passed in by hand.
@Suite struct ServerConnectionStateTests {
    let t0 = ContinuousClock.now
    func at(_ ms: Int) -> ContinuousClock.Instant { t0 + .milliseconds(ms) }
    func state(_ limits: ConnectionLimits = .init()) -> ServerConnectionState { ServerConnectionState(limits: limits, now: t0) }

    @Test func readingPausesAtTheInFlightLimitAndResumesBelowIt() {
        var s = state(ConnectionLimits(maxRequestsInFlight: 2))
        #expect(s.requestStarted(now: at(1)) == .none)
        #expect(s.requestStarted(now: at(2)) == .pauseReading)
        #expect(!s.canDispatch)
        #expect(s.requestFinished(now: at(3)) == .resumeReading)
        #expect(s.canDispatch)
        #expect(s.requestFinished(now: at(4)) == .none)
    }

    @Test func readingPausesWhileTheConnectionIsNotWritable() {
        var s = state()
        #expect(s.writabilityChanged(false, now: at(0)) == .pauseReading)
        #expect(s.requestStarted(now: at(1)) == .none)  // still paused
        #expect(s.writabilityChanged(true, now: at(2)) == .resumeReading)
    }

    @Test func anIdleConnectionClosesOnlyWithNothingInFlightAndNoFrameStarted() {
        var s = state(ConnectionLimits(idleTimeout: .seconds(10), frameReadTimeout: nil))
        #expect(s.nextCheck() == at(10_000))
        _ = s.requestStarted(now: at(1000))
        #expect(s.nextCheck() == nil, "nothing to watch while a request runs")
        #expect(s.timerFired(now: at(20_000)).isEmpty)
        _ = s.requestFinished(now: at(20_000))
        #expect(s.nextCheck() == at(30_000))
        s.bytesArrived(partialFrame: true, now: at(25_000))
        #expect(s.timerFired(now: at(36_000)).isEmpty, "a frame is arriving")
        s.bytesArrived(partialFrame: false, now: at(36_000))
        #expect(s.timerFired(now: at(45_000)).isEmpty)
        #expect(s.timerFired(now: at(46_000)) == [.close("idle for 10.0 seconds")])
        #expect(s.phase == .closed)
    }

    @Test func aPeerThatClosesItsSideIsAnsweredThenClosed() {
        var s = state(ConnectionLimits(idleTimeout: .seconds(10), frameReadTimeout: .seconds(2)))
        _ = s.requestStarted(now: at(0))
        _ = s.requestStarted(now: at(1))
        #expect(s.inputEnded() == .pauseReading)
        #expect(!s.canDispatch)
        #expect(s.nextCheck() == nil, "no idle or frame timer: the requests' own deadlines bound them")
        #expect(s.requestFinished(now: at(5000)) == .none)
        #expect(s.requestFinished(now: at(6000)) == .close("drained"))
        var idle = state()
        #expect(idle.inputEnded() == .close("the peer closed its side"))
    }

    @Test func aFrameThatTakesTooLongFailsAndTheConnectionDrains() {
        var s = state(ConnectionLimits(idleTimeout: nil, frameReadTimeout: .seconds(2), drainTimeout: .seconds(5)))
        _ = s.requestStarted(now: at(0))
        s.bytesArrived(partialFrame: true, now: at(100))
        s.bytesArrived(partialFrame: true, now: at(1500))  // the same frame, still arriving
        #expect(s.nextCheck() == at(2100))
        let actions = s.timerFired(now: at(2100))
        #expect(actions.count == 2)
        #expect(actions[0] == .pauseReading)
        guard case .failFrame(.deadlineExceeded, _) = actions[1] else { Issue.record("\(actions)"); return }
        #expect(!s.canDispatch)
        #expect(s.nextCheck() == at(7100))
        #expect(s.requestFinished(now: at(3000)) == .close("drained"), "the request read before it is answered, then close")
    }

    @Test func theFrameClockStopsWhileTheServerHasPausedReading() {
        var s = state(ConnectionLimits(idleTimeout: nil, frameReadTimeout: .seconds(2)))
        s.bytesArrived(partialFrame: true, now: at(0))
        #expect(s.writabilityChanged(false, now: at(500)) == .pauseReading)  // the client does not read
        #expect(s.nextCheck() == nil)
        #expect(s.timerFired(now: at(10_000)).isEmpty, "the client cannot finish a frame the server does not read")
        #expect(s.writabilityChanged(true, now: at(10_000)) == .resumeReading)
        #expect(s.nextCheck() == at(12_000), "a whole frame timeout from resuming")
        #expect(s.timerFired(now: at(11_000)).isEmpty)
        #expect(s.timerFired(now: at(12_000)).last == .close("unreadable frame"))
    }

    @Test func aBadFrameWithNothingInFlightClosesAtOnceAndDrainingHasAnEnd() {
        var s = state()
        #expect(s.unreadableFrame(.invalidArgument, "bad", now: at(0))
            == [.pauseReading, .failFrame(.invalidArgument, "bad"), .close("unreadable frame")])
        var busy = state(ConnectionLimits(drainTimeout: .seconds(1)))
        _ = busy.requestStarted(now: at(0))
        #expect(busy.unreadableFrame(.invalidArgument, "bad", now: at(0)).count == 2)
        #expect(busy.timerFired(now: at(500)).isEmpty)
        #expect(busy.timerFired(now: at(1000)) == [.close("drain timeout: 1 requests unanswered")])
        #expect(busy.unreadableFrame(.invalidArgument, "again", now: at(1000)).isEmpty)
    }

    @Test func quiescingClosesOnceDrainedAndKeepsAnsweringMeanwhile() {
        var s = state()
        _ = s.requestStarted(now: at(0))
        #expect(s.quiesce(now: at(0)) == .none)
        #expect(s.isQuiescing && s.canDispatch)
        #expect(s.requestFinished(now: at(1)) == .close("drained"))
        var idle = state()
        #expect(idle.quiesce(now: at(0)) == .close("shutting down"))
    }
}
