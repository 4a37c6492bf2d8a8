import Foundation
import MienTesting
import XCTest

/// Each kind of bad input through the real `mien analyze` binary: a clear message naming the file and the reason,
/// exit code 1 (or 2 for usage errors), never a crash or a hang.
final class BadInputTests: XCTestCase {
    private var dir: URL!
    private var home: URL!

    override func setUpWithError() throws {
        dir = try TestSupport.temporaryDirectory(self)
        home = try TestSupport.temporaryDirectory(self)
    }

    private func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let url = dir.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    private func analyzeFails(_ path: String, saying fragments: [String], file: StaticString = #filePath,
                              line: UInt = #line) throws {
        let run = try TestSupport.run(["analyze", "--measures-only", path], home: home)
        XCTAssertEqual(run.status, 1, "exit code; stderr: \(run.stderr)", file: file, line: line)
        XCTAssertTrue(run.stderr.contains(path), "message names the file: \(run.stderr)", file: file, line: line)
        for f in fragments {
            XCTAssertTrue(run.stderr.lowercased().contains(f.lowercased()), "'\(f)' in: \(run.stderr)", file: file, line: line)
        }
    }

    func testMissingFile() throws {
        try analyzeFails(dir.appendingPathComponent("nope.jpg").path, saying: ["no such file"])
    }

    func testDirectoryWithoutImages() throws {
        let empty = dir.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        try Data("notes".utf8).write(to: empty.appendingPathComponent("readme.txt"))
        try analyzeFails(empty.path, saying: ["holds no images"])
    }

    func testEmptyFile() throws {
        try analyzeFails(try write("empty.jpg", []), saying: ["empty"])
    }

    func testTruncatedJPEG() throws {
        let jpeg = try Data(contentsOf: TestSupport.sample("pexels_716658_surprised_santa.jpg"))
        try analyzeFails(try write("truncated.jpg", [UInt8](jpeg.prefix(jpeg.count / 3))), saying: ["jpeg", "damaged or cut short"])
    }

    func testTextFileNamedJPG() throws {
        try analyzeFails(try write("letter.jpg", Array("Dear Sir, this is not a picture.\n".utf8)), saying: ["not an image"])
    }

    func testOnePixelImage() throws {
        let png = [UInt8](try Data(contentsOf: TestSupport.fixture("one_pixel.png")))
        try analyzeFails(try write("dot.png", png), saying: ["1×1", "too small"])
    }

    func testDecompressionBombIsRefusedBeforeDecoding() throws {
        // A PNG header claiming 100 000 × 100 000 pixels (10 gigapixels) and nothing else.
        var bomb: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52]
        bomb += [0x00, 0x01, 0x86, 0xA0, 0x00, 0x01, 0x86, 0xA0, 0x08, 0x02, 0x00, 0x00, 0x00, 0, 0, 0, 0]
        bomb += [UInt8](repeating: 0, count: 1000)
        let started = Date()
        try analyzeFails(try write("bomb.png", bomb), saying: ["100000×100000", "over the 50 MP limit", "refused before decoding"])
        XCTAssertLessThan(Date().timeIntervalSince(started), 30)
    }

    func testLimitIsConfigurable() throws {
        let run = try TestSupport.run(["analyze", "--measures-only", "--max-megapixels", "0.1",
                                       TestSupport.sample("nasa_astronaut_eileen_collins.png").path], home: home)
        XCTAssertEqual(run.status, 1)
        XCTAssertTrue(run.stderr.contains("over the 0.1 MP limit"), run.stderr)
    }

    func testSixteenBitPNGWorks() throws {
        let run = try TestSupport.run(["analyze", "--measures-only", TestSupport.fixture("astronaut_16bit.png").path], home: home)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("1 face"), run.stdout)
    }

    func testNoFaceIsSaidPlainlyAndIsNotAnError() throws {
        let run = try TestSupport.run(["analyze", "--measures-only", TestSupport.fixture("no_face_flag.jpg").path], home: home)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("no face found"), run.stdout)
    }

    func testSomeInputsFailingStillReportsTheOthers() throws {
        let bad = try write("bad.jpg", Array("text".utf8))
        let run = try TestSupport.run(["analyze", "--measures-only", "--json", bad,
                                       TestSupport.fixture("no_face_flag.jpg").path], home: home)
        XCTAssertEqual(run.status, 1)
        let doc = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        XCTAssertEqual((doc?["images"] as? [Any])?.count, 1)
        XCTAssertEqual((doc?["errors"] as? [Any])?.count, 1)
        XCTAssertTrue(run.stderr.contains("1 of 2 inputs failed"), run.stderr)
    }

    func testUsageErrorExitsWithTwo() throws {
        let run = try TestSupport.run(["analyze", "--detector", "magic", "x.jpg"], home: home)
        XCTAssertEqual(run.status, 2)
        XCTAssertTrue(run.stderr.contains("unknown detector"), run.stderr)
        XCTAssertEqual(try TestSupport.run(["analyze"], home: home).status, 2, "missing argument")
    }
}
