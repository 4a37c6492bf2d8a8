import Foundation
import MienTesting
import XCTest

/// Shared by the video tests: the sample video, and shell pipelines (ffmpeg into `mien live`).
enum VideoSupport {
    static let sample = TestSupport.sample("pexels_wolfgang_langer_3063838_expressions.mp4")
    static let sampleFrames = 472

    /// Runs `bash -c script` with MIEN, MIEN_HOME and SAMPLE set; killed at `timeout`.
    static func shell(_ script: String, home: URL, timeout: TimeInterval = 60) throws -> TestSupport.Run {
        try TestSupport.shell(script, home: home, environment: ["SAMPLE": sample.path], timeout: timeout)
    }

    /// The first `seconds` of the sample beside a copy of itself, the copy blacked out while `hidden` (an ffmpeg
    /// expression in t) is true: two people, the second appearing and leaving when the test wants.
    static func twoPeople(seconds: Int, rightHiddenWhen hidden: String, named name: String, home: URL) throws -> URL {
        let video = home.appendingPathComponent(name)
        let make = try shell("""
            ffmpeg -v error -y -t \(seconds) -i '\(sample.path)' -filter_complex \
              "[0:v]split[a][b];[b]drawbox=x=0:y=0:w=iw:h=ih:color=black:t=fill:enable='\(hidden)'[c];[a][c]hstack" \
              -c:v libx264 -preset veryfast -crf 20 -pix_fmt yuv420p -an '\(video.path)'
            """, home: home)
        XCTAssertEqual(make.status, 0, make.stderr)
        return video
    }

    /// Parses every line of a JSONL file as a JSON object; fails the test on any invalid line.
    static func jsonLines(_ url: URL, file: StaticString = #filePath, line: UInt = #line) -> [[String: Any]] {
        let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { l in
            let object = try? JSONSerialization.jsonObject(with: Data(l.utf8)) as? [String: Any]
            if object == nil { XCTFail("invalid JSON line: \(l.prefix(200))", file: file, line: line) }
            return object
        }
    }

    /// CSV rows (the outputs never quote fields containing commas in numbers; labels have none).
    static func csvRows(_ url: URL) -> [[String]] {
        ((try? String(contentsOf: url, encoding: .utf8)) ?? "").split(separator: "\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
    }
}
