import Foundation
import Hummingbird
import Mien

extension MienServer {
    func addRoutes(to router: Router<ServerContext>) {
        addPageRoutes(to: router)
        router.post("/v1/analyze") { request, _ in try await self.analyzeImage(request) }
        router.post("/v1/voice") { request, _ in try await self.analyzeVoice(request) }
        addVideoRoutes(to: router)
        router.get("/v1/live") { _, _ -> Response in
            throw APIError(.upgradeRequired, code: "upgrade_required",
                           message: "/v1/live is a WebSocket: connect with ws://…/v1/live?token=<key> and send JPEG "
                           + "frames as binary messages.")
        }
    }

    /// A session for the caller, counting and rethrowing a policy refusal (already audited by the governance).
    func session(for caller: Caller, measuresOnly: Bool) throws -> Session {
        do {
            return try caller.session(measuresOnly: measuresOnly)
        } catch let refusal as PolicyRefusal {
            metrics.refusal(purpose: caller.purpose.rawValue)
            throw refusal
        }
    }

    /// `POST /v1/analyze`: the `mien/1` document of `mien analyze --json`, optionally with the annotated picture.
    func analyzeImage(_ request: Request) async throws -> Response {
        let caller = try auth.caller(for: request)
        let flags = QueryFlags(request: request)
        let measuresOnly = try flags.bool("measures_only")
        let keepLandmarks = request.uri.queryParameters.get("landmarks") == nil ? true : try flags.bool("landmarks")
        let annotated = try flags.choice("annotated", of: Picture.Format.allCases.map(\.rawValue))
            .flatMap(Picture.Format.init(rawValue:))
        let session = try session(for: caller, measuresOnly: measuresOnly)
        var options = AnalysisOptions()
        options.maxPixels = configuration.maxPixels
        options.measuresOnly = measuresOnly
        if request.uri.queryParameters.get("blendshapes") != nil {
            options.blendshapes = try flags.bool("blendshapes")
            if options.blendshapes && !engine.hasFaceMesh {
                throw APIError.badRequest("blendshapes_off", "this server runs without the face mesh "
                                          + "(--no-blendshapes); ask without blendshapes=true.")
            }
        } else {
            options.blendshapes = engine.hasFaceMesh
        }
        options.body = try bodyRequested(flags)
        options.prior = try flags.choice("prior", of: ExpressionPrior.allCases.map(\.rawValue))
            .flatMap(ExpressionPrior.init(rawValue:)) ?? .default
        options.labelSet = try flags.choice("label_set", of: ExpressionLabelSet.allCases.map(\.rawValue))
            .flatMap(ExpressionLabelSet.init(rawValue:)) ?? .default
        let analyzer = try Analyzer(engine: engine, session: session, options: options)
        let body = try await UploadBody.read(request, limit: configuration.maxBodyBytes,
                                                seconds: configuration.uploadTimeoutSeconds, what: "image")
        let source = request.uri.queryParameters.get("source").map { String($0.prefix(200)) } ?? "upload"
        let engine = self.engine
        let (analysis, picture) = try await gate.run(timeout: configuration.requestTimeoutSeconds) {
            let result = try analyzer.analyzeKeepingPicture(data: body, source: source)
            let drawn = try annotated.map { format in
                try result.1.annotated(with: result.0.faces).map { try $0.encoded(as: format) }
            } ?? nil
            return (result.0, drawn)
        }
        metrics.faces(analysis.faces.count)
        let load = engine.load
        metrics.load(running: load.running, waiting: load.waiting)
        var shown = analysis
        if !keepLandmarks {
            for i in shown.faces.indices { shown.faces[i].landmarks = nil }
        }
        let document = AnalysisDocument(generator: "mien-serve 0.1.0", purpose: caller.purpose.rawValue,
                                        outputs: analyzer.decision.granted.map(\.rawValue).sorted(),
                                        model: analyzer.modelVersion, images: [shown], errors: [])
        let answer = AnalyzeAnswer(document: document, annotated: picture.map {
            "data:image/\(annotated?.rawValue ?? "png");base64," + $0.base64EncodedString()
        })
        return try Self.json(answer)
    }

    /// `body=true` on `/v1/analyze` and `/v1/live`: off unless asked for; refused with `body_off` when this server
    /// runs without the body models (they are loaded only with `mien serve --body`).
    func bodyRequested(_ flags: QueryFlags, every: Int? = nil) throws -> Bool {
        guard try flags.bool("body") || every != nil else { return false }
        guard engine.hasBody else {
            throw APIError.badRequest("body_off", "this server runs without the body keypoint models; ask without "
                                      + "body=true, or have the operator start it with 'mien serve --body'.")
        }
        return true
    }

    /// `POST /v1/voice`: the `mien voice --json` document.
    func analyzeVoice(_ request: Request) async throws -> Response {
        let caller = try auth.caller(for: request)
        let measuresOnly = try QueryFlags(request: request).bool("measures_only")
        let session = try session(for: caller, measuresOnly: measuresOnly)
        let engine = self.engine
        let body = try await UploadBody.read(request, limit: configuration.maxBodyBytes,
                                                seconds: configuration.uploadTimeoutSeconds, what: "audio file")
        let data = try await gate.run(timeout: configuration.requestTimeoutSeconds) { () -> Data in
            let analyzer = try VoiceAnalyzer(engine: engine, session: session,
                                             options: .init(measuresOnly: measuresOnly))
            let file = FileManager.default.temporaryDirectory
                .appendingPathComponent("mien-voice-\(UUID().uuidString)")
            try body.write(to: file)
            defer { try? FileManager.default.removeItem(at: file) }
            do {
                return try VoiceReportWriter.json(try analyzer.analyze(audioAt: file))
            } catch let error as VoiceError {
                // The temporary file's path means nothing to the client: name the upload instead.
                let api = APIError.from(error)
                throw APIError(api.status, code: api.code,
                               message: api.message.replacingOccurrences(of: file.path, with: "the uploaded audio"))
            }
        }
        return Self.json(data: data)
    }

    static func json(_ value: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return json(data: try encoder.encode(value))
    }

    static func json(data: Data, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// The `mien/1` document, plus the annotated picture as a data URL when `annotated=` asked for it.
struct AnalyzeAnswer: Encodable {
    let document: AnalysisDocument
    let annotated: String?

    enum Keys: String, CodingKey { case annotatedImage = "annotated_image" }

    func encode(to encoder: any Encoder) throws {
        try document.encode(to: encoder)
        var c = encoder.container(keyedBy: Keys.self)
        try c.encodeIfPresent(annotated, forKey: .annotatedImage)
    }
}
