import Foundation
import MienCore
import MienVision

/// Builds the detector an `AnalysisOptions.Detector` names.
public enum DetectorFactory {
    public static func make(_ choice: AnalysisOptions.Detector, modelsDirectory: URL?) throws -> any FaceDetecting {
        switch choice {
        case .hog: return try HOGFaceDetector(upsample: 0)
        case .hogUp: return try HOGFaceDetector(upsample: 1)
        case .haar:
            return try CascadeFaceDetector(path: "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml",
                                           name: "opencv-haar")
        case .blaze:
            return CombinedFaceDetector([try make(.blazeFull, modelsDirectory: modelsDirectory),
                                         try make(.blazeShort, modelsDirectory: modelsDirectory)])
        case .blazeFull, .blazeShort:
            guard let dir = modelsDirectory else {
                throw AnalysisError.modelMissing(path: "Models/blazeface_full.onnx",
                                                 hint: "Set MIEN_MODELS to the Models folder, or use --detector hog.")
            }
            return try BlazeFaceDetector(variant: choice == .blazeFull ? .fullRange : .shortRange, modelsDirectory: dir)
        }
    }
}
