import Foundation
import Hummingbird
import HummingbirdTesting
import MienTesting
import XCTest
@testable import MienServer

/// A real `MienServer` (real engine, real stores under a temporary MIEN home) for the tests to call over loopback.
enum ServerHarness {
    static func configuration(home: URL, _ change: (inout ServerConfiguration) -> Void = { _ in }) -> ServerConfiguration {
        var c = ServerConfiguration()
        c.host = "127.0.0.1"
        c.port = 0
        c.home = home.path
        c.instances = 2
        c.queue = 4
        c.rateLimitPerMinute = 0
        c.operatorName = "Mien test suite"
        change(&c)
        return c
    }

    static func server(home: URL, _ change: (inout ServerConfiguration) -> Void = { _ in }) throws -> MienServer {
        try MienServer(configuration: configuration(home: home, change))
    }

    static func fixture(_ name: String) throws -> ByteBuffer {
        ByteBuffer(bytes: try Data(contentsOf: TestSupport.fixture(name)))
    }

    static func json(_ response: TestResponse) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(buffer: response.body))
        return try XCTUnwrap(object as? [String: Any], "not a JSON object: \(String(buffer: response.body))")
    }

    /// The `error.code` of a JSON error answer (failing the test when the answer is not one).
    static func errorCode(_ response: TestResponse, file: StaticString = #filePath, line: UInt = #line) -> String? {
        guard let body = try? json(response), let error = body["error"] as? [String: Any],
              let code = error["code"] as? String, let message = error["message"] as? String, !message.isEmpty else {
            XCTFail("not a JSON error: HTTP \(response.status.code) \(String(buffer: response.body))", file: file, line: line)
            return nil
        }
        return code
    }

    static func bearer(_ secret: String) -> HTTPFields { [.authorization: "Bearer \(secret)"] }

    static func multipart(_ data: Data, name: String = "file", filename: String = "photo.jpg",
                          boundary: String = "mien-test-boundary") -> (ByteBuffer, HTTPFields) {
        var body = Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n".utf8)
        body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\n".utf8)
        body += Data("Content-Type: image/jpeg\r\n\r\n".utf8) + data + Data("\r\n--\(boundary)--\r\n".utf8)
        return (ByteBuffer(bytes: body), [.contentType: "multipart/form-data; boundary=\(boundary)"])
    }
}
