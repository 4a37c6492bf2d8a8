import Foundation
import Hummingbird

/// The file a request carries: the raw body, or the first file part of a `multipart/form-data` body (the form the
/// web page and `curl -F file=@photo.jpg` send).
enum UploadBody {
    /// Reads the body up to `limit` bytes (413 beyond, judged from Content-Length before reading when it is given),
    /// within `seconds` (408 beyond: a sender trickling bytes just often enough to pass the idle timeout would
    /// otherwise hold a connection and its buffer for as long as it likes).
    static func read(_ request: Request, limit: Int, seconds: Double, what: String) async throws -> Data {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw APIError.tooLarge(limit: limit, what: what)
        }
        var buffer = ByteBuffer()
        let clock = UploadClock(seconds: seconds, what: what)
        for try await chunk in request.body {
            if buffer.readableBytes + chunk.readableBytes > limit { throw APIError.tooLarge(limit: limit, what: what) }
            var chunk = chunk
            buffer.writeBuffer(&chunk)
            try clock.check(received: buffer.readableBytes)
        }
        let data = Data(buffer: buffer)
        let contentType = request.headers[.contentType] ?? ""
        if contentType.lowercased().hasPrefix("multipart/form-data") {
            return try filePart(of: data, contentType: contentType)
        }
        guard !data.isEmpty else {
            throw APIError(.badRequest, code: "empty_body",
                           message: "the request has no body; send the \(what) as the body, or as the 'file' part of "
                           + "a multipart/form-data form.")
        }
        return data
    }

    /// The content of the part named `file` (else the first part with a filename, else the first part), as
    /// MultipartForm reads it, with its failures as API errors.
    static func filePart(of body: Data, contentType: String) throws -> Data {
        do {
            return try MultipartForm.filePart(of: body, contentType: contentType)
        } catch MultipartForm.Failure.noFile {
            throw APIError(.badRequest, code: "empty_body", message: "the form holds no file; send it as the 'file' part.")
        } catch let failure as MultipartForm.Failure {
            throw APIError(.badRequest, code: "malformed_multipart",
                           message: "\(failure). Send the file as the 'file' part, or as the raw body.")
        }
    }
}

/// The time an upload may take: `seconds` for the first bytes, plus `bytesPerSecond` of further time for each byte
/// received (0: a fixed bound). Checked as each chunk arrives; a sender that sends nothing at all is closed by the
/// server's idle timeout, so no upload holds a connection longer than its bound plus that timeout.
struct UploadClock {
    let seconds: Double
    let bytesPerSecond: Double
    let what: String
    private let started = DispatchTime.now().uptimeNanoseconds

    init(seconds: Double, bytesPerSecond: Double = 0, what: String) {
        self.seconds = seconds
        self.bytesPerSecond = bytesPerSecond
        self.what = what
    }

    func check(received: Int) throws {
        let allowed = seconds + (bytesPerSecond > 0 ? Double(received) / bytesPerSecond : 0)
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        if elapsed > allowed { throw APIError.uploadTooSlow(seconds: allowed, what: what) }
    }
}

/// Query options shared by the analysis routes.
struct QueryFlags {
    let request: Request

    func bool(_ name: String) throws -> Bool {
        guard let text = request.uri.queryParameters.get(name) else { return false }
        switch text.lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no", "": return false
        default:
            throw APIError.badRequest("bad_parameter", "'\(name)' must be true or false, not '\(text)'.")
        }
    }

    /// A whole number in `range`, or nil when the parameter is absent.
    func int(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = request.uri.queryParameters.get(name) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw APIError.badRequest("bad_parameter",
                                      "'\(name)' must be a whole number from \(range.lowerBound) to \(range.upperBound), not '\(text)'.")
        }
        return value
    }

    func choice(_ name: String, of allowed: [String]) throws -> String? {
        guard let text = request.uri.queryParameters.get(name) else { return nil }
        guard allowed.contains(text) else {
            throw APIError.badRequest("bad_parameter",
                                      "'\(name)' must be one of \(allowed.joined(separator: ", ")), not '\(text)'.")
        }
        return text
    }
}
