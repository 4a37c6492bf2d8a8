import Foundation
import XCTest
@testable import MienVoice

/// The ONNX model run by OpenCV DNN from Swift features must give the logits PyTorch gave in training
/// (training/voice/export.py wrote the fixture): max |diff| < 1e-3 per logit.
final class ModelParityTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    struct Fixture: Decodable {
        struct Segment: Decodable { var start_frame: Int; var frames: Int; var logits: [Float] }
        struct Clip: Decodable { var file: String; var segments: [Segment] }
        var model: String
        var tolerance: Float
        var clips: [Clip]
    }

    func modelSpecURL() -> URL {
        let dir = ProcessInfo.processInfo.environment["MIEN_VOICE_MODEL_DIR"].map { URL(fileURLWithPath: $0) }
            ?? Self.repository.appendingPathComponent("Models")
        return dir.appendingPathComponent("voice_expression.json")
    }

    func testOnnxThroughOpenCVMatchesPyTorch() throws {
        let fixtureURL = ProcessInfo.processInfo.environment["MIEN_VOICE_PARITY"].map { URL(fileURLWithPath: $0) }
            ?? Self.repository.appendingPathComponent("Tests/MienVoiceTests/Fixtures/voice_parity.json")
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: fixtureURL))
        let model = try VocalExpressionModel(specURL: modelSpecURL())
        XCTAssertEqual(model.spec.name, fixture.model)
        var worst: Float = 0
        var compared = 0
        for clip in fixture.clips {
            let url = try AudioFixtures.ravdess(clip.file)
            var inputs: [(Int, Int, [Float])] = []
            let pipeline = VoicePipeline(model: model) { s, input in inputs.append((s.startFrame, s.frames.count, input)) }
            let analysis = try pipeline.analyze(path: url.path)
            XCTAssertEqual(inputs.map { [$0.0, $0.1] }, clip.segments.map { [$0.start_frame, $0.frames] }, clip.file)
            for ((_, _, input), expected) in zip(inputs, clip.segments) {
                let logits = try model.logits(input: input)
                worst = max(worst, zip(logits, expected.logits).map { abs($0 - $1) }.max() ?? .infinity)
                compared += 1
            }
            for s in analysis.segments {
                let e = try XCTUnwrap(s.expression)
                XCTAssertEqual(e.probabilities.reduce(0, +), 1, accuracy: 1e-6)
                XCTAssertEqual(e.basis, "vocal expression; not a measure of felt emotion")
            }
        }
        XCTAssertGreaterThan(compared, 0)
        XCTAssertLessThan(worst, fixture.tolerance, "max |logit diff| \(worst)")
        print("voice model parity: \(compared) segments, max |diff| \(worst)")
    }
}
