import Foundation
import Mien
import MienStore
import MienTesting
import XCTest

/// Corpus expansion and sharding: which files become tasks, and how shards split them.
final class BatchInputsTests: XCTestCase {
    func testFoldersGlobsAndListFilesExpandToMediaFiles() throws {
        let root = try TestSupport.temporaryDirectory(self)
        let nested = root.appendingPathComponent("a/b")
        try FileManager.default.createDirectory(at: nested, withIntermediateDirectories: true)
        for name in ["a/one.jpg", "a/b/two.PNG", "a/b/clip.mp4", "a/b/talk.flac", "a/notes.txt", "a/.hidden.jpg"] {
            FileManager.default.createFile(atPath: root.appendingPathComponent(name).path, contents: Data([1]))
        }
        let folder = CorpusInputs.expand([root.appendingPathComponent("a").path])
        XCTAssertEqual(folder.inputs.map { ($0.path as NSString).lastPathComponent }, ["clip.mp4", "talk.flac", "two.PNG", "one.jpg"].sorted {
            // sorted by full path: a/b/... before a/one.jpg
            $0 == "one.jpg" ? false : ($1 == "one.jpg" ? true : $0 < $1)
        })
        XCTAssertEqual(folder.inputs.map(\.kind), [.video, .audio, .image, .image])
        XCTAssertEqual(folder.skipped, 1)   // notes.txt; the hidden file is not even counted

        let globbed = CorpusInputs.expand([root.path + "/a/b/*.mp4"])
        XCTAssertEqual(globbed.inputs.count, 1)
        XCTAssertEqual(globbed.inputs.first?.kind, .video)

        let list = root.appendingPathComponent("list.txt")
        try "# the corpus\n\(root.path)/a/one.jpg\n\n\(root.path)/a/b\n\(root.path)/a/one.jpg\n".write(to: list, atomically: true, encoding: .utf8)
        let listed = CorpusInputs.expand(["@" + list.path])
        XCTAssertEqual(listed.inputs.count, 4, "duplicates are one task")

        // A file named directly is a task whatever its extension (it fails with a reason when run).
        let named = CorpusInputs.expand([root.path + "/a/notes.txt", root.path + "/missing.jpg"])
        XCTAssertEqual(named.inputs.count, 2)
        XCTAssertTrue(CorpusInputs.expand([root.path + "/nothing/*.jpg"]).warnings.first?.contains("no file matches") ?? false)
    }

    func testShardsSplitACorpusIntoDisjointCoveringSlices() throws {
        let paths = (0..<1000).map { "/corpus/img\($0).png" }
        var seen = Set<String>()
        for i in 0..<3 {
            let shard = try CorpusShard(parsing: "\(i)/3")
            let slice = paths.filter(shard.contains)
            XCTAssertGreaterThan(slice.count, 250, "a shard got \(slice.count) of 1000")
            XCTAssertTrue(seen.isDisjoint(with: slice))
            seen.formUnion(slice)
        }
        XCTAssertEqual(seen.count, 1000)
        XCTAssertThrowsError(try CorpusShard(parsing: "3/3"))
        XCTAssertThrowsError(try CorpusShard(parsing: "1-3"))
    }

    func testShardsComeFromSlurmAndKubernetesEnvironments() throws {
        XCTAssertEqual(try CorpusShard.fromEnvironment(["SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "4"]),
                       try CorpusShard(index: 2, count: 4))
        XCTAssertEqual(try CorpusShard.fromEnvironment(["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "3",
                                                        "SLURM_ARRAY_TASK_MIN": "1"]), try CorpusShard(index: 2, count: 3))
        XCTAssertEqual(try CorpusShard.fromEnvironment(["JOB_COMPLETION_INDEX": "0", "MIEN_SHARD_COUNT": "5"]),
                       try CorpusShard(index: 0, count: 5))
        XCTAssertThrowsError(try CorpusShard.fromEnvironment(["JOB_COMPLETION_INDEX": "0"]))
        XCTAssertNil(try CorpusShard.fromEnvironment([:]))
    }

    func testTaskKeysFollowContentModelsAndOptions() {
        var settings = BatchSettings()
        let a = settings.fingerprint(models: "expression=1")
        XCTAssertNotEqual(a, settings.fingerprint(models: "expression=2"))
        settings.detector = "hog"
        XCTAssertNotEqual(a, settings.fingerprint(models: "expression=1"))
        XCTAssertNotEqual(TaskKey.make(contentDigest: "x", fingerprint: a), TaskKey.make(contentDigest: "y", fingerprint: a))
        XCTAssertEqual(TaskKey.make(contentDigest: "x", fingerprint: a), TaskKey.make(contentDigest: "x", fingerprint: a))
    }
}
