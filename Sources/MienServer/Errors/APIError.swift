import Foundation
import Hummingbird
import Mien

/// An error answered to an HTTP client: a status and `{"error": {"code", "message"}}`, where `code` is a stable
/// machine-readable word and `message` says what to do, in the API's own words (query fields, not CLI flags).
public struct APIError: Error, HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    /// Seconds after which a retry may succeed (503, 429): sent as `Retry-After`.
    public var retryAfter: Int?

    public init(_ status: HTTPResponse.Status, code: String, message: String, retryAfter: Int? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
    }

    struct Body: Codable {
        struct Detail: Codable {
            var code: String
            var message: String
        }
        var error: Detail
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        // A body that came too slowly was not read to its end: the connection cannot carry another request.
        if status == .requestTimeout { headers[.connection] = "close" }
        let body = (try? JSONEncoder().encode(Body(error: .init(code: code, message: message)))) ?? Data()
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

extension APIError {
    static func uploadTooSlow(seconds: Double, what: String) -> APIError {
        APIError(.requestTimeout, code: "upload_too_slow",
                 message: "the \(what) did not arrive in full within \(Int(seconds)) s; send it again over a faster "
                 + "connection (the server bounds how long one upload may take so that slow senders cannot hold it).")
    }

    static func badRequest(_ code: String, _ message: String) -> APIError { APIError(.badRequest, code: code, message: message) }

    static func unauthorized(_ message: String) -> APIError {
        APIError(.unauthorized, code: "unauthorized", message: message)
    }

    static func busy(retryAfter: Int) -> APIError {
        APIError(.serviceUnavailable, code: "busy",
                 message: "every analysis slot is taken and the wait queue is full; retry after \(retryAfter) s.",
                 retryAfter: retryAfter)
    }

    static func tooLarge(limit: Int, what: String) -> APIError {
        APIError(.contentTooLarge, code: "body_too_large",
                 message: "the \(what) is over the \(limit) byte limit of this server; send a smaller file "
                 + "(downscale or re-encode it).")
    }

    /// How the HTTP API names the remedies library errors suggest.
    static let wording = RemedyWording(
        measuresOnly: "the query parameter measures_only=true",
        operatorOverride: "a key whose operator declared an override (ask the server's operator)",
        declarePurpose: "an API key created with purpose {purpose} ('mien keys create --purpose {purpose}')",
        pixelLimit: "ask the operator to raise the server's pixel limit (max_pixels)")

    /// The answer for an error the library threw while serving a request.
    static func from(_ error: any Error) -> APIError {
        switch error {
        case let api as APIError:
            return api
        case let refusal as PolicyRefusal:
            return APIError(.forbidden, code: "policy_refusal", message: refusal.message(wording))
        case let analysis as AnalysisError:
            let message = analysis.message(wording)
            switch analysis {
            case .tooManyPixels:
                return APIError(.contentTooLarge, code: "too_many_pixels", message: message)
            case .notAnImage, .emptyFile:
                return APIError(.unsupportedMediaType, code: "not_an_image", message: message)
            case .corruptImage:
                return APIError(.unprocessableContent, code: "corrupt_image", message: message)
            case .imageTooSmall:
                return APIError(.unprocessableContent, code: "image_too_small", message: message)
            case .unknownPrior, .priorNotCalibrated, .unknownLabelSet:
                return APIError(.badRequest, code: "bad_prior", message: message)
            case .fileNotFound, .unreadable, .noImagesInDirectory, .modelMissing, .modelInvalid, .backend:
                return APIError(.internalServerError, code: "analysis_failed", message: message)
            }
        case let voice as VoiceError:
            switch voice {
            case .emptyFile, .corrupt, .noAudioTrack, .unsupportedCodec, .decodeFailed:
                return APIError(.unprocessableContent, code: "bad_audio", message: voice.description)
            case .fileNotFound, .unreadable, .modelMissing, .modelInvalid:
                return APIError(.internalServerError, code: "analysis_failed", message: voice.description)
            }
        case let video as VideoError:
            switch video {
            case .notAVideo, .cannotOpen:
                return APIError(.unprocessableContent, code: "bad_video", message: video.description)
            case .fileNotFound, .cannotWrite:
                return APIError(.internalServerError, code: "analysis_failed", message: video.description)
            }
        case let http as HTTPError:
            return APIError(http.status, code: Self.code(for: http.status),
                            message: http.body ?? Self.message(for: http.status))
        case let worded as any RemedyWorded:
            return APIError(.internalServerError, code: "internal", message: worded.message(wording))
        default:
            return APIError(.internalServerError, code: "internal", message: "\(error)")
        }
    }

    static func code(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: return "bad_request"
        case 401: return "unauthorized"
        case 403: return "forbidden"
        case 404: return "not_found"
        case 405: return "method_not_allowed"
        case 408: return "request_timeout"
        case 413: return "body_too_large"
        case 415: return "unsupported_media_type"
        case 429: return "rate_limited"
        case 503: return "busy"
        default: return status.code < 500 ? "bad_request" : "internal"
        }
    }

    static func message(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 404: return "no such route; GET /openapi.json lists the routes of this API."
        case 405: return "this route does not take that method; GET /openapi.json lists the methods of each route."
        case 413: return "the request body is over this server's limit; send a smaller file."
        default: return status.reasonPhrase
        }
    }
}
