import Foundation
import Mien
import MienTesting
import XCTest

/// One engine shared by many sessions at once: what a server or batch runner does.
final class EngineSessionTests: XCTestCase {
    /// Eight different images, eight sessions with different purposes (one refused), analysed concurrently over one
    /// engine with fewer instances than tasks: each gives exactly its sequential result, and each analysis is in the
    /// audit log under its own session's purpose and actor.
    func testEightSessionsShareOneEngineConcurrently() throws {
        let home = try TestSupport.temporaryDirectory(self)
        let base = Governance(purpose: .personalUse, actor: "base", home: home)
        let images = ["nasa_astronaut_eileen_collins.png", "pexels_1080865_group_meeting.jpg",
                      "pexels_18175_angry_closeup.jpg", "pexels_716658_surprised_santa.jpg"].map(TestSupport.sample)
            + ["bench_640x480.jpg", "video_frame_0s5_sad.jpg", "video_frame_13s5_smile.jpg",
               "astronaut_exif_rotated.jpg"].map(TestSupport.fixture)
        let purposes: [Purpose] = [.personalUse, .researchWithConsent, .medical, .safety, .personalUse,
                                   .researchWithConsent, .workplace, .medical]
        // Two instances of each pooled stage for eight tasks: tasks wait for instances, as under a server's load.
        let engine = try Engine(Engine.Configuration(instances: 2))
        var sessions: [Session?] = []
        for (i, purpose) in purposes.enumerated() {
            let governance = base.acting(as: "task-\(i)", purpose: purpose)
            do {
                sessions.append(try Session(governance: governance))
            } catch let refusal as PolicyRefusal {
                XCTAssertEqual(purpose, .workplace, "\(refusal)")
                sessions.append(try Session(governance: governance, measuresOnly: true))
            }
        }
        XCTAssertEqual(sessions.compactMap { $0 }.filter { !$0.grantsExpressions }.count, 1,
                       "exactly the workplace session is measures only")

        let made = sessions
        @Sendable func analyse(_ i: Int) throws -> Data {
            let session = try XCTUnwrap(made[i])
            var options = AnalysisOptions()
            options.measuresOnly = !session.grantsExpressions
            let analysis = try Analyzer(engine: engine, session: session, options: options)
                .analyze(imageAt: images[i])
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return try encoder.encode(analysis)
        }
        let sequential = try (0..<8).map(analyse)
        let concurrent = ConcurrentResults(count: 8)
        DispatchQueue.concurrentPerform(iterations: 8) { i in concurrent.set(i, Result { try analyse(i) }) }
        for i in 0..<8 {
            let result = try concurrent.get(i)
            XCTAssertEqual(result, sequential[i], "task \(i) (\(images[i].lastPathComponent)) differs when concurrent")
        }
        // Faces were found, and expressions only where the session allows them.
        for i in 0..<8 {
            let json = String(decoding: sequential[i], as: UTF8.self)
            XCTAssertTrue(json.contains("\"movement_measures\""), images[i].lastPathComponent)
            XCTAssertEqual(json.contains("\"expression\""), purposes[i] != .workplace, images[i].lastPathComponent)
        }

        let records = try base.auditLog().records()
        let analyses = records.filter { $0.event == "analysis" }
        XCTAssertEqual(analyses.count, 16, "8 sequential + 8 concurrent analyses")
        for (i, purpose) in purposes.enumerated() {
            let mine = analyses.filter { $0.actor == "task-\(i)" }
            XCTAssertEqual(mine.count, 2, "task-\(i)")
            XCTAssertTrue(mine.allSatisfy { $0.purpose == purpose.rawValue }, "task-\(i)")
        }
        let refusals = records.filter { $0.event == "refusal" }
        XCTAssertEqual(refusals.map(\.actor), ["task-6"])
        XCTAssertTrue(try base.verifyAuditLog().isValid)
    }

    /// Making a session loads nothing and checks the policy first: a refused purpose never reaches a model.
    func testSessionRefusesBeforeAnyModelWork() throws {
        let home = try TestSupport.temporaryDirectory(self)
        let workplace = Governance(purpose: .workplace, actor: "hr", home: home)
        XCTAssertThrowsError(try Session(governance: workplace)) { error in
            XCTAssertTrue(error is PolicyRefusal, "\(error)")
        }
        // An engine built for measures only cannot be asked for estimates by accident.
        let engine = try Engine(Engine.Configuration(expressionModel: false, instances: 1))
        let personal = try Session(governance: Governance(purpose: .personalUse, actor: "me", home: home))
        XCTAssertThrowsError(try Analyzer(engine: engine, session: personal)) { error in
            XCTAssertTrue("\(error)".contains("measures only"), "\(error)")
        }
        var measures = AnalysisOptions()
        measures.measuresOnly = true
        let analysis = try Analyzer(engine: engine, session: personal, options: measures)
            .analyze(imageAt: TestSupport.sample("nasa_astronaut_eileen_collins.png"))
        XCTAssertEqual(analysis.faces.count, 1)
        XCTAssertNil(analysis.faces.first?.expression)
    }

    /// The corpus stream yields one element per input, failures included, and audits each analysis.
    func testCorpusStreamYieldsEachInputInOrder() throws {
        let home = try TestSupport.temporaryDirectory(self)
        let governance = Governance(purpose: .personalUse, actor: "me", home: home)
        var options = AnalysisOptions()
        options.measuresOnly = true
        let analyzer = try Analyzer(options: options, governance: governance)
        let urls = [TestSupport.fixture("bench_640x480.jpg"), TestSupport.fixture("one_pixel.png"),
                    home.appendingPathComponent("missing.jpg"), TestSupport.sample("pexels_1080865_group_meeting.jpg")]
        let elements = Array(analyzer.analyses(of: urls))
        XCTAssertEqual(elements.map(\.url), urls)
        XCTAssertEqual(try elements[0].result.get().analysis.faces.count, 1)
        XCTAssertThrowsError(try elements[1].result.get())
        XCTAssertThrowsError(try elements[2].result.get())
        XCTAssertEqual(try elements[3].result.get().analysis.faces.count, 5)
        XCTAssertEqual(try governance.auditLog().records().filter { $0.event == "analysis" }.count, 2)
    }
}

/// Results written by concurrent tasks, each to its own slot.
private final class ConcurrentResults: @unchecked Sendable {
    // Safe to share: `slots` is read and written only under `lock`.
    private let lock = NSLock()
    private var slots: [Result<Data, Error>?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ i: Int, _ result: Result<Data, Error>) { lock.withLock { slots[i] = result } }

    func get(_ i: Int) throws -> Data {
        guard let result = lock.withLock({ slots[i] }) else { throw CocoaError(.featureUnsupported) }
        return try result.get()
    }
}
