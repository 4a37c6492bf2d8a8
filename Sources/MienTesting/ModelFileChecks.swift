import Foundation
import MienCore
import XCTest

/// The three ways a model file can be wrong, and the typed error each must give, naming the file: missing
/// (`modelMissing`), not a network (`modelInvalid`), a network with altered weights (`modelInvalid`, "not the
/// converted …", caught by the stage's self-test at load). Leaves the good file in `directory` afterwards, so a
/// stage with several files can be checked file by file.
public enum ModelFileChecks {
    public static func assertTypedErrors(file: String, directory: URL, make: () throws -> Any,
                                         line: UInt = #line) throws {
        let target = directory.appendingPathComponent(file)
        func expect(_ missing: Bool, reasonContains: String? = nil) {
            XCTAssertThrowsError(try make(), line: line) { error in
                switch error {
                case AnalysisError.modelMissing(let path, _) where missing:
                    XCTAssertTrue(path.hasSuffix(file), path, line: line)
                case AnalysisError.modelInvalid(let path, let reason) where !missing:
                    XCTAssertTrue(path.hasSuffix(file), path, line: line)
                    if let reasonContains { XCTAssertTrue(reason.contains(reasonContains), reason, line: line) }
                default:
                    XCTFail("\(file): \(error)", line: line)
                }
            }
        }
        try? FileManager.default.removeItem(at: target)
        expect(true)
        try Data("not a network".utf8).write(to: target)
        expect(false)
        // A network that loads but whose weights were altered: bytes in the middle of the weights zeroed.
        let good = TestSupport.models.appendingPathComponent(file)
        var bytes = try Data(contentsOf: good)
        let start = bytes.count / 2
        bytes.replaceSubrange(start..<(start + 4096), with: Data(count: 4096))
        try bytes.write(to: target)
        expect(false, reasonContains: "not the converted")
        try FileManager.default.removeItem(at: target)
        try FileManager.default.copyItem(at: good, to: target)
    }
}
