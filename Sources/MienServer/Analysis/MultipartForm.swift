import Foundation

/// Mien's own reader of `multipart/form-data` bodies (RFC 7578), the form the web page and `curl -F file=@photo.jpg`
/// send: only what an upload needs, the content of one part. Foundation only, so that libFuzzer can drive it alone
/// (fuzz/swift/multipart_fuzzer.swift); UploadBody turns its errors into API errors.
enum MultipartForm {
    /// Why a body is not a form Mien can take a file from.
    enum Failure: Error, Equatable, CustomStringConvertible {
        /// The body or its Content-Type does not follow the multipart format; says where.
        case malformed(String)
        /// The form is well formed but holds no file content.
        case noFile

        var description: String {
            switch self {
            case .malformed(let why): return "the multipart/form-data body cannot be read: \(why)"
            case .noFile: return "the form holds no file"
            }
        }
    }

    /// The content of the part named `file` (else the first part with a filename, else the first part).
    static func filePart(of body: Data, contentType: String) throws -> Data {
        guard let boundary = parameter("boundary", in: contentType), !boundary.isEmpty else {
            throw Failure.malformed("the Content-Type has no boundary parameter")
        }
        let delimiter = Data("--\(boundary)".utf8)
        var parts: [(headers: String, content: Data)] = []
        guard var cursor = body.range(of: delimiter)?.upperBound else {
            throw Failure.malformed("the boundary '\(boundary)' does not occur in the body")
        }
        while true {
            // After a delimiter: "--" ends the body, CRLF starts a part.
            if body[cursor...].starts(with: Data("--".utf8)) { break }
            guard body[cursor...].starts(with: Data("\r\n".utf8)) else {
                throw Failure.malformed("a boundary is not followed by CRLF")
            }
            let headerStart = cursor + 2
            guard let headerEnd = body.range(of: Data("\r\n\r\n".utf8), in: headerStart..<body.endIndex) else {
                throw Failure.malformed("a part's headers do not end")
            }
            guard let next = body.range(of: Data("\r\n".utf8) + delimiter, in: headerEnd.upperBound..<body.endIndex) else {
                throw Failure.malformed("the body ends before the closing boundary (cut short?)")
            }
            let headers = String(decoding: body[headerStart..<headerEnd.lowerBound], as: UTF8.self)
            parts.append((headers, Data(body[headerEnd.upperBound..<next.lowerBound])))
            cursor = next.upperBound
        }
        let chosen = parts.first { name(of: $0.headers) == "file" }
            ?? parts.first { $0.headers.lowercased().contains("filename=") } ?? parts.first
        guard let chosen, !chosen.content.isEmpty else { throw Failure.noFile }
        return chosen.content
    }

    /// The value of `key` in a header value such as `form-data; name="file"` (quotes removed), or nil.
    static func parameter(_ key: String, in header: String) -> String? {
        for piece in header.split(separator: ";") {
            let pair = piece.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0].lowercased() == key {
                return pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
        }
        return nil
    }

    /// The `name` of a part, from its Content-Disposition header.
    static func name(of headers: String) -> String? {
        for line in headers.split(separator: "\r\n") where line.lowercased().hasPrefix("content-disposition") {
            return parameter("name", in: String(line))
        }
        return nil
    }
}
