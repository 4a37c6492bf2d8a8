import Foundation
import Mien
import MienCore
import MienVision
import XCTest

/// The committed expression model, run from Swift through OpenCV DNN.
final class ExpressionModelTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let models = repository.appendingPathComponent("Models")
    static let parity = repository.appendingPathComponent("Tests/Fixtures/expression_parity")

    struct Expected: Decodable {
        var ferplus: [[Float]]
        var fer2013: [[Float]]
        var model_sha256: String
    }

    /// Same 200 PrivateTest faces through PyTorch (at export) and through Swift: max |Δlogit| < 1e-3.
    func testLogitsMatchPyTorchWithin1e3() throws {
        let expected = try JSONDecoder().decode(Expected.self,
                                                from: Data(contentsOf: Self.parity.appendingPathComponent("logits.json")))
        let bytes = [UInt8](try Data(contentsOf: Self.parity.appendingPathComponent("images_u8.bin")))
        XCTAssertEqual(bytes.count, 200 * 48 * 48)
        let faces = (0..<200).map { i in
            AlignedFace(width: 48, height: 48, channels: 1, pixels: Array(bytes[i * 2304..<(i + 1) * 2304]),
                        transform: SimilarityTransform(scale: 1, rotation: 0, tx: 0, ty: 0))
        }
        for (head, truth) in [("ferplus", expected.ferplus), ("fer2013", expected.fer2013)] {
            let classifier = try OnnxExpressionClassifier(modelsDirectory: Self.models, head: head, flipAverage: false)
            XCTAssertEqual(classifier.spec.sha256, expected.model_sha256, "fixture made from this model")
            let logits = try ExpressionEvaluation.logits(classifier, faces: faces, batch: 64)
            var worst: Float = 0
            for (a, b) in zip(logits, truth) { for (x, y) in zip(a, b) { worst = max(worst, abs(x - y)) } }
            print("\(head): max |Δlogit| = \(worst)")
            XCTAssertLessThan(worst, 1e-3, head)
        }
    }

    func testBatchOfOneEqualsBatchOfMany() throws {
        let bytes = [UInt8](try Data(contentsOf: Self.parity.appendingPathComponent("images_u8.bin")))
        let faces = (0..<3).map { i in
            AlignedFace(width: 48, height: 48, channels: 1, pixels: Array(bytes[i * 2304..<(i + 1) * 2304]),
                        transform: SimilarityTransform(scale: 1, rotation: 0, tx: 0, ty: 0))
        }
        let c = try OnnxExpressionClassifier(modelsDirectory: Self.models)
        let batch = try c.logits(for: faces)
        for (i, f) in faces.enumerated() {
            let single = try c.logits(for: [f])[0]
            for (x, y) in zip(single, batch[i]) { XCTAssertEqual(x, y, accuracy: 1e-4) }
        }
    }

    func testMissingOrCorruptModelGivesAnActionableError() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mien-model-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        XCTAssertThrowsError(try OnnxExpressionClassifier(modelsDirectory: dir)) { error in
            XCTAssertTrue("\(error)".contains("expression.json is missing"), "\(error)")
        }
        try FileManager.default.copyItem(at: Self.models.appendingPathComponent("expression.json"),
                                         to: dir.appendingPathComponent("expression.json"))
        try Data("not a network".utf8).write(to: dir.appendingPathComponent("expression.onnx"))
        XCTAssertThrowsError(try OnnxExpressionClassifier(modelsDirectory: dir)) { error in
            XCTAssertTrue("\(error)".contains("cannot be used"), "\(error)")
        }
        // Metadata that does not match: wrong class count.
        var json = try XCTUnwrap(JSONSerialization.jsonObject(
            with: Data(contentsOf: Self.models.appendingPathComponent("expression.json"))) as? [String: Any])
        var heads = try XCTUnwrap(json["heads"] as? [String: Any])
        var ferplus = try XCTUnwrap(heads["ferplus"] as? [String: Any])
        ferplus["classes"] = ((ferplus["classes"] as? [String]) ?? []) + ["boredom"]
        heads["ferplus"] = ferplus
        json["heads"] = heads
        try JSONSerialization.data(withJSONObject: json).write(to: dir.appendingPathComponent("expression.json"))
        XCTAssertThrowsError(try OnnxExpressionClassifier(modelsDirectory: dir)) { error in
            XCTAssertTrue("\(error)".contains("8 classes"), "\(error)")
        }
    }

    /// The committed model on the real FER2013 PrivateTest split (skips when ../shared/data is absent).
    func testPrivateTestAccuracy() throws {
        guard let dir = FER2013.defaultDirectory() else {
            throw XCTSkip("FER2013 not found at ../shared/data/fer2013 (or $MIEN_FER2013): skipping the accuracy check")
        }
        let data = try FER2013.load(from: dir, splits: [.privateTest])
        let reports = try ExpressionEvaluation.evaluate(data: data, split: .privateTest, modelsDirectory: Self.models)
        let ferplus = try XCTUnwrap(reports.first { $0.head == "ferplus" })
        let fer2013 = try XCTUnwrap(reports.first { $0.head == "fer2013" })
        print(ferplus.table(), fer2013.table())
        XCTAssertGreaterThanOrEqual(ferplus.accuracy, 0.825)
        XCTAssertGreaterThanOrEqual(fer2013.accuracy, 0.705)
        // The target is ECE ≤ 3% (issue 16); model 1.2.0 measures 3.06% on the FER+ head (temperature fitted on
        // PublicTest, where it is 1.8%), so this guard allows 3.2% and the model card says the target is missed.
        XCTAssertLessThanOrEqual(ferplus.ece, 0.032)
        XCTAssertLessThanOrEqual(fer2013.ece, 0.03)
        // Session 10: 3.06% is more than sampling noise (a perfectly calibrated model would show ≤ 1.9% on 3,546
        // faces), so the miss is real, if small; the bootstrap interval brackets the measured value.
        for r in [ferplus, fer2013] {
            let u = try XCTUnwrap(r.eceUncertainty)
            XCTAssertLessThanOrEqual(u.lower, r.ece, r.head)
            XCTAssertGreaterThanOrEqual(u.upper, r.ece, r.head)
            XCTAssertGreaterThan(u.calibratedFloor, 0.005, r.head)
            XCTAssertLessThan(u.calibratedFloor, 0.03, r.head)
        }
        XCTAssertGreaterThanOrEqual(ferplus.macroRecall, 0.70, "1.2.0: 71.3% (1.1.0: 69.8%)")
        XCTAssertGreaterThan(ferplus.recall[ferplus.classes.firstIndex(of: "contempt")!], 0)
        XCTAssertGreaterThan(ferplus.recall[ferplus.classes.firstIndex(of: "disgust")!], 0)
        XCTAssertGreaterThanOrEqual(ferplus.selectiveAccuracy, 0.85)
    }

    /// The balanced prior on PrivateTest: it trades accuracy on FER+'s own (natural) distribution for recall of
    /// the rare classes, and its probabilities stay calibrated for a class-balanced population.
    func testBalancedPriorRaisesMacroRecallAndStaysCalibrated() throws {
        guard let dir = FER2013.defaultDirectory() else {
            throw XCTSkip("FER2013 not found at ../shared/data/fer2013 (or $MIEN_FER2013): skipping the prior check")
        }
        let data = try FER2013.load(from: dir, splits: [.privateTest])
        let natural = try ExpressionEvaluation.evaluate(data: data, split: .privateTest, modelsDirectory: Self.models)
        let balanced = try ExpressionEvaluation.evaluate(data: data, split: .privateTest, modelsDirectory: Self.models,
                                                         prior: .balanced)
        let n = try XCTUnwrap(natural.first { $0.head == "ferplus" })
        let b = try XCTUnwrap(balanced.first { $0.head == "ferplus" })
        print(b.table())
        XCTAssertEqual(b.prior, "balanced")
        XCTAssertGreaterThan(b.macroRecall, n.macroRecall + 0.03)
        for rare in ["disgust", "fear", "contempt"] {
            let i = try XCTUnwrap(b.classes.firstIndex(of: rare))
            XCTAssertGreaterThan(b.recall[i], n.recall[i], rare)
        }
        XCTAssertLessThan(b.eceClassBalanced, n.eceClassBalanced, "balanced probabilities fit a balanced population better")
        XCTAssertLessThanOrEqual(b.eceClassBalanced, 0.05)
    }

    /// The local stand-in for issue 16's posed test sets: on PrivateTest faces whose FER2013 (search-intended) label is
    /// an emotion while FER+'s raters saw a neutral face, the FER+ head Mien reports says "neutral" and so recovers
    /// the intended label rarely, the FER2013 head (trained on those labels) far more often. Model 1.2.0, natural prior:
    /// 15.0% vs 43.8% of 719 faces (training/heads_vs_labels.py measures the same in Python). If a model closes this
    /// gap, this test tells; until then it pins the failure the model card describes.
    func testFERPlusHeadMissesTheIntendedLabelOnFacesRatersSawAsNeutral() throws {
        guard let dir = FER2013.defaultDirectory() else {
            throw XCTSkip("FER2013 not found at ../shared/data/fer2013 (or $MIEN_FER2013): skipping the intended-label check")
        }
        let data = try FER2013.load(from: dir, splits: [.privateTest])
        let reports = try ExpressionEvaluation.intendedLabelsOnRatedNeutralFaces(data: data, split: .privateTest,
                                                                                 modelsDirectory: Self.models)
        let ferplus = try XCTUnwrap(reports.first { $0.head == "ferplus" })
        let fer2013 = try XCTUnwrap(reports.first { $0.head == "fer2013" })
        print(ferplus.table(), fer2013.table())
        XCTAssertEqual(ferplus.count, fer2013.count)
        XCTAssertGreaterThan(ferplus.count, 500, "PrivateTest has 719 such faces")
        XCTAssertEqual(ferplus.classes, ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"])
        // The truth never says neutral here, so every "neutral" answer is a miss; the FER+ head gives mostly that.
        let neutral = try XCTUnwrap(ferplus.classes.firstIndex(of: "neutral"))
        let saidNeutral = ferplus.confusion.map { $0[neutral] }.reduce(0, +)
        XCTAssertGreaterThan(Double(saidNeutral) / Double(ferplus.count), 0.6)
        XCTAssertLessThan(ferplus.accuracy, 0.25)
        XCTAssertGreaterThan(fer2013.accuracy, ferplus.accuracy + 0.15)
    }

    /// A prior the model has no calibration for is refused with the list it has; estimates say their prior.
    func testPriorWithoutCalibrationIsRefusedWithTheChoices() throws {
        let face = AlignedFace(width: 48, height: 48, channels: 1, pixels: [UInt8](repeating: 120, count: 2304),
                               transform: SimilarityTransform(scale: 1, rotation: 0, tx: 0, ty: 0))
        let shipped = try OnnxExpressionClassifier(modelsDirectory: Self.models)
        XCTAssertEqual(Set(shipped.head.availablePriors), Set(ExpressionPrior.allCases))
        let estimate = try XCTUnwrap(try shipped.classify([face], flipAverage: false, prior: .balanced).first)
        XCTAssertEqual(estimate.prior, "balanced")
        XCTAssertEqual(estimate.probabilities.reduce(0, +), 1, accuracy: 1e-9)

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mien-prior-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.copyItem(at: Self.models.appendingPathComponent("expression.onnx"),
                                         to: dir.appendingPathComponent("expression.onnx"))
        var json = try XCTUnwrap(try JSONSerialization.jsonObject(
            with: Data(contentsOf: Self.models.appendingPathComponent("expression.json"))) as? [String: Any])
        var heads = try XCTUnwrap(json["heads"] as? [String: Any])
        var ferplus = try XCTUnwrap(heads["ferplus"] as? [String: Any])
        ferplus.removeValue(forKey: "priors")
        heads["ferplus"] = ferplus
        json["heads"] = heads
        try JSONSerialization.data(withJSONObject: json).write(to: dir.appendingPathComponent("expression.json"))
        let older = try OnnxExpressionClassifier(modelsDirectory: dir)
        XCTAssertThrowsError(try older.classify([face], flipAverage: false, prior: .balanced)) { error in
            guard case AnalysisError.priorNotCalibrated(let prior, _, let available) = error else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(prior, "balanced")
            XCTAssertEqual(available, ["natural"])
            XCTAssertTrue("\(error)".contains("it has: natural"), "\(error)")
        }
        XCTAssertEqual(try older.classify([face], flipAverage: false, prior: .natural).first?.prior, "natural")
    }
}
