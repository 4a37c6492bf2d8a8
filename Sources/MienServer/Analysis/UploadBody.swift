import Foundation
import Hummingbird

/// The file a request carries: the raw body, or the first file part of a `multipart/form-data` body (the form the
/// web page and `curl -F file=@photo.jpg` send).
enum UploadBody {
    /// Reads the body up to `limit` bytes (413 beyond, judged from Content-Length before reading when it is given).
    static func read(_ request: Request, limit: Int, what: String) async throws -> Data {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw APIError.tooLarge(limit: limit, what: what)
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError.tooLarge(limit: limit, what: what)
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

    func choice(_ name: String, of allowed: [String]) throws -> String? {
        guard let text = request.uri.queryParameters.get(name) else { return nil }
        guard allowed.contains(text) else {
            throw APIError.badRequest("bad_parameter",
                                      "'\(name)' must be one of \(allowed.joined(separator: ", ")), not '\(text)'.")
        }
        return text
    }
}
