// Coverage-guided fuzzing of the request parsing MienServer does itself: the multipart/form-data reader of
// POST /v1/analyze and /v1/voice (Sources/MienServer/Analysis/MultipartForm.swift), compiled into the harness by
// fuzz/run.sh. The input's first line is the Content-Type header, the rest the body. Checked: the reader returns a
// non-empty part that the body holds, delimited as the format says (CRLF, then the boundary, after it), or throws
// MultipartForm.Failure; never a trap, a hang or another error.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMultipart(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(bytes: data, count: size)
    let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) ?? bytes.endIndex
    let contentType = String(decoding: bytes[bytes.startIndex..<newline], as: UTF8.self)
    let body = newline < bytes.endIndex ? Data(bytes[(newline + 1)...]) : Data()
    _ = MultipartForm.parameter("name", in: contentType)
    do {
        let part = try MultipartForm.filePart(of: body, contentType: contentType)
        precondition(!part.isEmpty, "an empty part was returned")
        let boundary = MultipartForm.parameter("boundary", in: contentType) ?? ""
        precondition(!boundary.isEmpty, "a part was read without a boundary")
        let framed = Data("\r\n\r\n".utf8) + part + Data("\r\n--\(boundary)".utf8)
        precondition(body.range(of: framed) != nil, "the part returned is not framed by the body's delimiters")
    } catch let failure as MultipartForm.Failure {
        _ = failure.description
    } catch {
        preconditionFailure("an error that is not a MultipartForm.Failure: \(error)")
    }
    return 0
}
