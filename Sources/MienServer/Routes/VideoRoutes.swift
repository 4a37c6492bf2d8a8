import Foundation
import Hummingbird
import Mien
import MienStore

/// What `GET /v1/videos/{id}` answers.
struct VideoJobStatus: Codable {
    var id: String
    var state: String
    /// Frames analysed / expected, 0…1 (1 when done).
    var progress: Double
    var frames_analysed: Int
    var frames_expected: Int
    var created: String
    var updated: String
    var failure: String?
    /// Where the results are, once done.
    var results: [String: String]?

    init(_ job: VideoJobView) {
        id = job.spec.id
        state = job.state
        frames_analysed = job.framesAnalysed
        frames_expected = job.framesExpected
        progress = job.task.state == .done ? 1 : job.framesExpected > 0
            ? min(1, Double(job.framesAnalysed) / Double(job.framesExpected)) : 0
        let iso = ISO8601DateFormatter()
        let made = job.task.created ?? 0
        created = iso.string(from: Date(timeIntervalSince1970: made))
        updated = iso.string(from: Date(timeIntervalSince1970: job.task.finished ?? job.task.started ?? made))
        failure = job.failure
        if job.task.state == .done {
            results = Dictionary(uniqueKeysWithValues: VideoJobs.outputs.keys.map {
                ($0, "/v1/videos/\(id)/result?format=\($0)")
            })
        }
    }
}

extension MienServer {
    func addVideoRoutes(to router: Router<ServerContext>) {
        router.post("/v1/videos") { request, _ in try await self.uploadVideo(request) }
        router.get("/v1/videos/:id") { request, context in
            let job = try self.ownedJob(request, context)
            return try Self.json(VideoJobStatus(job))
        }
        router.get("/v1/videos/:id/result") { request, context in try self.videoResult(request, context) }
        router.delete("/v1/videos/:id") { request, context -> Response in
            let job = try self.ownedJob(request, context)
            try self.videos.delete(id: job.spec.id)
            return Response(status: .noContent)
        }
    }

    /// `POST /v1/videos`: the raw video as the body, streamed to the job's folder; 202 with the job.
    func uploadVideo(_ request: Request) async throws -> Response {
        let caller = try auth.caller(for: request)
        let measuresOnly = try QueryFlags(request: request).bool("measures_only")
        // The policy is checked now, so a refused caller uploads nothing.
        _ = try session(for: caller, measuresOnly: measuresOnly)
        if (request.headers[.contentType] ?? "").lowercased().hasPrefix("multipart/") {
            throw APIError(.unsupportedMediaType, code: "raw_body_expected",
                           message: "send the video as the raw request body (e.g. curl --data-binary @clip.mp4), "
                           + "not as a multipart form.")
        }
        if try videos.active() >= configuration.maxVideoJobs {
            throw APIError(.serviceUnavailable, code: "busy",
                           message: "\(configuration.maxVideoJobs) videos are already waiting or running; retry later.",
                           retryAfter: 30)
        }
        let limit = configuration.maxVideoBytes
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw APIError.tooLarge(limit: limit, what: "video")
        }
        let id = UUID().uuidString.lowercased()
        let dir = videos.jobFolder(id)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let input = videos.inputURL(id)
        var kept = false
        defer { if !kept { try? FileManager.default.removeItem(at: dir) } }
        FileManager.default.createFile(atPath: input.path, contents: nil)
        let handle = try FileHandle(forWritingTo: input)
        var size = 0
        let clock = UploadClock(seconds: configuration.uploadTimeoutSeconds,
                                bytesPerSecond: configuration.minVideoUploadBytesPerSecond, what: "video")
        do {
            for try await chunk in request.body {
                size += chunk.readableBytes
                if size > limit { throw APIError.tooLarge(limit: limit, what: "video") }
                try handle.write(contentsOf: Data(buffer: chunk))
                try clock.check(received: size)
            }
            try handle.close()
        } catch {
            try? handle.close()
            throw error
        }
        guard size > 0 else {
            throw APIError(.badRequest, code: "empty_body", message: "the request has no body; send the video as the body.")
        }
        do {
            try VideoAnalyzer.checkFile(input)
        } catch let error as VideoError {
            let api = APIError.from(error)
            throw APIError(api.status, code: api.code,
                           message: api.message.replacingOccurrences(of: input.path, with: "the upload"))
        }
        try videos.enqueue(VideoJobSpec(id: id, actor: caller.name, purpose: caller.purpose.rawValue,
                                        measuresOnly: measuresOnly))
        kept = true
        guard let job = try videos.job(id: id) else {
            throw APIError(.internalServerError, code: "job_lost", message: "the job was queued but cannot be read back.")
        }
        var response = try Self.json(VideoJobStatus(job))
        response.status = .accepted
        response.headers[.location] = "/v1/videos/\(id)"
        return response
    }

    /// The job named in the path, if the caller owns it (others get 404: ids are not shared between keys).
    func ownedJob(_ request: Request, _ context: ServerContext) throws -> VideoJobView {
        let caller = try auth.caller(for: request)
        let id = context.parameters.get("id") ?? ""
        guard let job = try videos.job(id: id), job.spec.actor == caller.name else {
            throw APIError(.notFound, code: "no_such_job",
                           message: "no video job '\(id)' for this key; it may have been deleted or expired.")
        }
        return job
    }

    func videoResult(_ request: Request, _ context: ServerContext) throws -> Response {
        let job = try ownedJob(request, context)
        let format = try QueryFlags(request: request).choice("format", of: ["jsonl", "csv", "html"]) ?? "jsonl"
        let id = job.spec.id
        guard job.task.state == .done else {
            throw APIError(.conflict, code: "not_ready",
                           message: "video job \(id) is \(job.state)"
                           + (job.failure.map { ": \($0)" } ?? "; poll GET /v1/videos/\(id) until it is done."))
        }
        let file = videos.jobFolder(id).appendingPathComponent(VideoJobs.outputs[format] ?? "frames.jsonl")
        let data = try Data(contentsOf: file)
        let type = ["jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8",
                    "html": "text/html; charset=utf-8"][format] ?? "application/octet-stream"
        return Response(status: .ok, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
