import MienCore
import XCTest

final class BlazeFaceDecoderTests: XCTestCase {
    func testAnchorCountsMatchMediaPipe() {
        XCTAssertEqual(BlazeFaceDecoder(config: .shortRange).anchors.count, 896)
        XCTAssertEqual(BlazeFaceDecoder(config: .fullRange).anchors.count, 2304)
    }

    func testDecodesOneConfidentBoxAndSuppressesItsNeighbours() {
        let d = BlazeFaceDecoder(config: .shortRange)
        var reg = [Float](repeating: 0, count: 896 * 16), scores = [Float](repeating: -10, count: 896)
        for i in [100, 101] {  // two anchors of the same cell: one face
            scores[i] = 3
            reg[i * 16 + 2] = 32
            reg[i * 16 + 3] = 32
        }
        let faces = d.decode(regressors: reg, scores: scores)
        XCTAssertEqual(faces.count, 1)
        XCTAssertEqual(faces[0].rect.width, 0.25, accuracy: 1e-6)
        XCTAssertEqual(faces[0].score, 1 / (1 + exp(-3)), accuracy: 1e-6)
        XCTAssertEqual(faces[0].keypoints.count, 6)
    }
}
