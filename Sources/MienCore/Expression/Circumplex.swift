#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Valence and arousal *derived* from class probabilities by a fixed projection onto Russell's circumplex.
///
/// Each class gets a fixed point (valence, arousal) in [-1, 1]²; the estimate is the probability-weighted mean.
/// The points are the angles at which Russell (1980, "A circumplex model of affect", J. Pers. Soc. Psychol. 39(6),
/// fig. 2) places the nearest emotion words, on the unit circle; neutral sits at the origin. This is not a trained
/// regressor: it is only as good as the class probabilities and the circumplex itself.
public enum Circumplex {
    public static let ferPlusOrder = ["neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear",
                                      "contempt"]

    /// Angle in degrees (0° = pleasant, 90° = aroused) per class name; FER2013 names map to the same points.
    public static let angles: [String: Double] = [
        "happiness": 20, "happy": 20,      // "happy"/"delighted"
        "surprise": 75, "surprised": 75,   // "astonished"
        "anger": 100, "angry": 100,        // "angry"
        "fear": 110,                       // "afraid"/"alarmed"
        "disgust": 135,                    // between "distressed" and "annoyed"
        "contempt": 160,                   // "frustrated"/"annoyed", low arousal
        "sadness": 210, "sad": 210,        // "sad"/"miserable"
    ]

    public static func point(for name: String) -> (valence: Double, arousal: Double) {
        guard let a = angles[name] else { return (0, 0) }  // neutral and unknown names: origin
        let r = a * Double.pi / 180
        return (cos(r), sin(r))
    }

    public static func project(classes: [String], probabilities: [Double]) -> (valence: Double, arousal: Double) {
        var v = 0.0, a = 0.0
        for (name, p) in zip(classes, probabilities) {
            let pt = point(for: name)
            v += p * pt.valence
            a += p * pt.arousal
        }
        return (v, a)
    }
}
