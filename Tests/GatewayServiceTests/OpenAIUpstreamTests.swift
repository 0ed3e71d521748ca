import Testing
import Wire
@testable import Gateway

/// Reading an upstream's chat completion: the usage alone when it is there, the text otherwise.
@Suite struct OpenAIUpstreamAnswerTests {
    func read(_ json: String) throws -> ChatAnswer {
        try OpenAIUpstream.chatAnswer(Array(json.utf8), prompt: "twelve chars", upstream: "u")
    }

    @Test func usageIsBookedAsTheUpstreamCountedIt() throws {
        let answer = try read(#"{"id": "x", "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi \"there\""}}], "usage": {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15}}"#)
        #expect(answer.inputTokens == 12 && answer.outputTokens == 3 && !answer.tokensEstimated)
        #expect(answer.text == "hi \"there\"")
    }

    @Test func withoutUsableUsageTheTokensAreEstimated() throws {
        for usage in ["", #", "usage": null"#, #", "usage": {"prompt_tokens": "many"}"#] {
            let answer = try read(#"{"choices": [{"message": {"content": "a sixteen char s"}}]"# + usage + "}")
            #expect(answer.tokensEstimated && answer.inputTokens == 3 && answer.outputTokens == 4, "\(usage)")
        }
        let toolCall = try read(#"{"choices": [{"message": {"content": null, "tool_calls": [{"id": "1"}]}}]}"#)
        #expect(toolCall.text == "" && toolCall.tokensEstimated)
    }

    @Test func whatIsNotAChatCompletionIsAnUnavailableUpstream() {
        for body in ["", "[]", #"{"error": {"message": "x"}}"#, #"{"choices": "no"}"#, #"{"choices": [{"text": "legacy"}]}"#] {
            let error = #expect(throws: RPCError.self) { try read(body) }
            #expect(error?.code == .unavailable, "\(body)")
        }
    }
}
