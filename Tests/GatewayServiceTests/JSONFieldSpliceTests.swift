import Foundation
import Testing
@testable import Gateway

@Suite struct JSONFieldSpliceTests {
    func splice(_ json: String, _ value: String) -> String? {
        JSONFieldSplice.replacingString("model", with: value, in: Array(json.utf8)).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func onlyTheTopLevelModelChangesAndEveryOtherByteStays() {
        let body = #"{ "messages": [{"role": "user", "content": "say \"model\": {x}"}], "model" : "auto", "temperature": 0.250, "x": {"model": "inner", "list": [1, [2, {"a": "]"}]]}, "n": null }"#
        #expect(splice(body, "served/weak") == body.replacingOccurrences(of: #""model" : "auto""#, with: #""model" : "served/weak""#))
        #expect(splice(#"{"model":"a"}"#, "quote\"back\\slash\nline") == #"{"model":"quote\"back\\slash\u000aline"}"#)
        #expect(splice(#"{"model":"a","model":"b"}"#, "c") == #"{"model":"a","model":"c"}"#, "the last of a repeated key, as parsers keep")
    }

    @Test func whatItCannotReadIsNil() {
        for bad in ["", "[]", "{}", #"{"messages": []}"#, #"{"model": "a""#, #"{"model" "a"}"#, #"{"x": {"model": "a"}}"#, #"{"a": "unterminated}"#] {
            #expect(splice(bad, "m") == nil, "\(bad)")
        }
    }

    @Test func theResultParsesAsTheRequestWithOnlyTheModelReplaced() throws {
        let requests: [[String: Any]] = [
            ["model": "auto", "messages": [["role": "user", "content": "héllo ✓ \u{1F600}"]], "stream": true, "stream_options": ["include_usage": true]],
            ["tools": [["type": "function", "function": ["name": "f", "parameters": ["type": "object", "properties": [:]]]]],
             "model": "switchyard:alpha=0.3", "max_tokens": 12, "logit_bias": ["42": -100], "stop": ["}", "]", "\""]],
        ]
        for request in requests {
            let body = try JSONSerialization.data(withJSONObject: request)
            let spliced = try #require(JSONFieldSplice.replacingString("model", with: "served", in: Array(body)))
            let parsed = try #require(try JSONSerialization.jsonObject(with: Data(spliced)) as? NSDictionary)
            var expected = request
            expected["model"] = "served"
            #expect(parsed == expected as NSDictionary)
        }
    }
}
