import Foundation
import Hummingbird
import HummingbirdWebSocket
import Mien
import Synchronization

/// One message the live WebSocket answers per analysed frame: the `mien live` frame document plus `sequence`, which
/// of the client's JPEG messages it was (0-based), and `dropped`, the frames of this connection dropped so far
/// because newer ones arrived before they could be analysed.
struct LiveFrameAnswer: Encodable {
    let frame: VideoFrameResult
    let sequence: Int
    let dropped: Int

    enum Keys: String, CodingKey { case sequence, dropped }

    func encode(to encoder: any Encoder) throws {
        try frame.encode(to: encoder)
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(sequence, forKey: .sequence)
        try c.encode(dropped, forKey: .dropped)
    }
}

/// The closing message of a live connection.
struct LiveSummary: Encodable {
    let kind = "live-summary"
    let frames_received: Int
    let frames_analysed: Int
    let frames_dropped: Int
    let stopped: String?
}

/// Live connections at once: each holds one detector and one classifier of the engine while open, so at most
/// `instances - 1` (at least 1), leaving an instance for stills.
final class LiveSlots: Sendable {
    let limit: Int
    private let open = Mutex(0)
    init(limit: Int) { self.limit = max(1, limit) }
    func take() -> Bool { open.withLock { n in n < limit ? { n += 1; return true }() : false } }
    func give() { open.withLock { $0 -= 1 } }
}

extension MienServer {
    func addLiveRoute(to router: Router<ServerContext>) {
        router.ws("/v1/live", shouldUpgrade: { request, _ in
            // Checked before the upgrade: a bad key or a refused purpose gets its HTTP answer, not a socket.
            let caller = try self.auth.caller(for: request, allowQueryToken: true)
            _ = try self.session(for: caller, measuresOnly: try QueryFlags(request: request).bool("measures_only"))
            _ = try self.liveMesh(request)
            _ = try self.liveBody(request)
            guard self.liveSlots.take() else {
                throw APIError(.serviceUnavailable, code: "busy",
                               message: "all \(self.liveSlots.limit) live connections are in use; retry later.",
                               retryAfter: 5)
            }
            self.liveSlots.give()
            return .upgrade([:])
        }, onUpgrade: { inbound, outbound, context in
            guard self.liveSlots.take() else {
                try await outbound.close(.unexpectedServerError, reason: "all live connections are in use; retry later")
                return
            }
            defer { self.liveSlots.give() }
            try await self.serveLive(request: context.request, inbound: inbound, outbound: outbound)
        })
    }

    func serveLive(request: Request, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws {
        let caller = try auth.caller(for: request, allowQueryToken: true, counted: false)
        let measuresOnly = try QueryFlags(request: request).bool("measures_only")
        let session = try session(for: caller, measuresOnly: measuresOnly)
        var options = VideoOptions()
        options.analysis.measuresOnly = measuresOnly
        options.thumbnails = false
        options.deliverFrames = false
        options.readTimeout = configuration.idleTimeoutSeconds
        options.openTimeout = configuration.idleTimeoutSeconds
        let meshEvery = try liveMesh(request)
        options.analysis.blendshapes = meshEvery > 0
        options.blendshapesEvery = meshEvery
        let bodyEvery = try liveBody(request)
        options.analysis.body = bodyEvery > 0
        options.bodyEvery = bodyEvery
        let analyzer = try VideoAnalyzer(engine: engine, session: session, options: options)

        let pipe = Pipe()
        let slot = LatestFrame()
        let numbers = FrameNumbers()
        let received = Mutex(0)
        let (answers, answersIn) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(4))
        // Frames go from the slot into the pipe on a thread of their own (a pipe write can block).
        let writer = pipe.fileHandleForWriting
        Thread.detachNewThread {
            while let frame = slot.take() {
                numbers.wrote(sequence: frame.sequence)
                do { try writer.write(contentsOf: frame.data) } catch { break }
            }
            try? writer.close()
        }
        let reader = pipe.fileHandleForReading
        let metrics = self.metrics
        let analysis = Task.detached { () -> LiveSummary in
            await withCheckedContinuation { (done: CheckedContinuation<LiveSummary, Never>) in
                Thread.detachNewThread {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                    var analysed = 0
                    var stopped: String?
                    do {
                        let run = try analyzer.analyze(.mjpeg(fd: reader.fileDescriptor)) { frame, _ in
                            analysed += 1
                            // Frames the client sent before this one that were never analysed were dropped (in the
                            // waiting slot or the decoder's queue).
                            let sequence = numbers.sequence(ofDecoded: frame.frame)
                            let json = try encoder.encode(LiveFrameAnswer(frame: frame, sequence: sequence,
                                                                          dropped: max(0, sequence + 1 - analysed)))
                            answersIn.yield(String(decoding: json, as: UTF8.self))
                        }
                        stopped = run.summary.stopped
                    } catch {
                        stopped = (error as? any RemedyWorded)?.message(APIError.wording) ?? "\(error)"
                    }
                    try? reader.close()
                    slot.close()
                    answersIn.finish()
                    let total = received.withLock { $0 }
                    metrics.live(analysed: analysed, dropped: max(0, total - analysed))
                    done.resume(returning: LiveSummary(frames_received: total, frames_analysed: analysed,
                                                       frames_dropped: max(0, total - analysed), stopped: stopped))
                }
            }
        }
        // Answers go out as frames are analysed; when the analysis ends (the client said 'end', closed, or the
        // stream stopped), the summary follows and the server closes the socket.
        let tooLarge = Mutex(false)
        let limit = configuration.maxFrameBytes
        let sender = Task {
            for await text in answers { try? await outbound.write(.text(text)) }
            let summary = await analysis.value
            if let data = try? JSONEncoder().encode(summary) {
                try? await outbound.write(.text(String(decoding: data, as: UTF8.self)))
            }
            if tooLarge.withLock({ $0 }) {
                try? await outbound.close(.messageTooLarge, reason: "a message was over the \(limit) byte limit; send "
                                          + "smaller JPEGs (1280×720 at quality 80 is about 150 KB)")
            } else {
                try? await outbound.close(.normalClosure, reason: summary.stopped.map { String(decoding: Array($0.utf8.prefix(120)), as: UTF8.self) })
            }
        }
        do {
            reading: for try await message in inbound.messages(maxSize: limit) {
                switch message {
                case .binary(let buffer):
                    let data = Data(buffer: buffer)
                    guard data.count > 3, data[data.startIndex] == 0xFF, data[data.startIndex + 1] == 0xD8 else {
                        try await outbound.write(.text(Self.liveError("not_a_jpeg",
                            "each binary message must be one JPEG frame (it starts with FF D8); this one was skipped.")))
                        continue
                    }
                    let sequence = received.withLock { n in defer { n += 1 }; return n }
                    slot.put(data, sequence: sequence)
                case .text(let text) where text.trimmingCharacters(in: .whitespacesAndNewlines) == "end":
                    // The client is done sending: answer what is waiting, then the summary, then close.
                    break reading
                case .text:
                    try await outbound.write(.text(Self.liveError("binary_expected",
                        "send frames as binary messages holding one JPEG each, and the text message 'end' when done; "
                        + "other text is ignored.")))
                }
            }
        } catch {
            tooLarge.withLock { $0 = true }
        }
        slot.close()
        await sender.value
    }

    /// The face mesh on a live connection (`blendshapes=true`, `blendshapes_every=K`): off unless asked for, as in
    /// `mien live`, because it halves the frames a connection can analyse; 0 when off. Refused before the upgrade
    /// when this server runs without the mesh.
    func liveMesh(_ request: Request) throws -> Int {
        let flags = QueryFlags(request: request)
        let every = try flags.int("blendshapes_every", in: 1...300)
        guard try flags.bool("blendshapes") || every != nil else { return 0 }
        guard engine.hasFaceMesh else {
            throw APIError.badRequest("blendshapes_off", "this server runs without the face mesh "
                                      + "(--no-blendshapes); connect without blendshapes=true.")
        }
        return every ?? VideoOptions.defaultBlendshapesEvery
    }

    /// Body keypoints on a live connection (`body=true`, `body_every=K`): off unless asked for, as in `mien video`;
    /// 0 when off. Refused before the upgrade when this server runs without the body models.
    func liveBody(_ request: Request) throws -> Int {
        let flags = QueryFlags(request: request)
        let every = try flags.int("body_every", in: 1...300)
        guard try bodyRequested(flags, every: every) else { return 0 }
        return every ?? VideoOptions.defaultBodyEvery
    }

    static func liveError(_ code: String, _ message: String) -> String {
        let body = APIError.Body(error: .init(code: code, message: message))
        return (try? JSONEncoder().encode(body)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
