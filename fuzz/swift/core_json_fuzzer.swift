// Coverage-guided fuzzing of the JSON Mien reads back: the model spec (Models/expression.json), analysis results
// (mien/1 documents, video frame lines, the job store's stored rows) and their nested value types (landmarks with
// layout inference, expression estimates with dynamic class keys). Built by fuzz/run.sh; a crash or trap is a
// finding, a DecodingError is the expected answer to bad bytes.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCoreJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(bytes: data, count: size)
    let decoder = JSONDecoder()
    if let spec = try? decoder.decode(ExpressionModelSpec.self, from: bytes) {
        _ = spec.problems()
        for head in spec.heads.values {
            _ = head.availablePriors
            for prior in ExpressionPrior.allCases {
                _ = try? head.calibration(prior: prior, flipAveraged: true, model: spec.name)
            }
        }
    }
    if let analysis = try? decoder.decode(ImageAnalysis.self, from: bytes) {
        for face in analysis.faces {
            if let l = face.landmarks {
                _ = l.interOcularDistance
                _ = MovementMeasures(landmarks: l)
                _ = l.followingBox
            }
            _ = face.expression?.topClass
        }
        _ = try? JSONEncoder().encode(analysis)
    }
    if let frame = try? decoder.decode(VideoFrameResult.self, from: bytes) {
        _ = try? JSONEncoder().encode(frame)
    }
    _ = try? decoder.decode(ExpressionEstimate.self, from: bytes)
    _ = try? decoder.decode(FaceLandmarks.self, from: bytes)
    return 0
}
