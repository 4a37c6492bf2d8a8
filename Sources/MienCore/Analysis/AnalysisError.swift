/// Why an input could not be analysed. Every message names the input, the problem and what to do.
public enum AnalysisError: RemedyWorded, Sendable, Hashable {
    case fileNotFound(path: String)
    case unreadable(path: String, reason: String)
    case emptyFile(path: String)
    case notAnImage(source: String)
    case corruptImage(source: String, format: String)
    case tooManyPixels(source: String, width: Int, height: Int, limit: Int)
    case imageTooSmall(source: String, width: Int, height: Int)
    case noImagesInDirectory(path: String)
    case modelMissing(path: String, hint: String)
    case modelInvalid(path: String, reason: String)
    case backend(stage: String, reason: String)
    /// A prior name that is not one of Mien's.
    case unknownPrior(name: String, available: [String])
    /// The expression model has no calibration for the prior asked for.
    case priorNotCalibrated(prior: String, model: String, available: [String])
    /// A label-set name that is not one of Mien's (`ExpressionLabelSet`).
    case unknownLabelSet(name: String, available: [String])

    public func message(_ words: RemedyWording) -> String {
        switch self {
        case .fileNotFound(let p):
            return "\(p): no such file or directory. Check the path."
        case .unreadable(let p, let r):
            return "\(p): cannot be read (\(r)). Check its permissions."
        case .emptyFile(let p):
            return "\(p): the file is empty (0 bytes). It is not an image; re-export or re-download it."
        case .notAnImage(let s):
            return "\(s): not an image Mien can read (supported: JPEG, PNG, WebP, BMP, TIFF). Is it the right file?"
        case .corruptImage(let s, let f):
            return "\(s): the \(f.uppercased()) data is damaged or cut short and cannot be decoded. Re-export the image."
        case .tooManyPixels(let s, let w, let h, let limit):
            // In Double: a header's sides can be up to 2^32 each, and their product overflows Int (a PNG of
            // 3 235 906 825 × 4 093 689 344 pixels trapped here, fuzz/regressions/media_png_sides_overflow_int.png).
            return "\(s): \(w)×\(h) is \(Self.megapixels(Double(w) * Double(h))) MP, over the "
                + "\(Self.megapixels(Double(limit))) MP limit; "
                + "refused before decoding. Downscale it, or raise the limit (\(words.pixelLimit))."
        case .imageTooSmall(let s, let w, let h):
            return "\(s): \(w)×\(h) pixels is too small to hold a face (at least 16×16 needed)."
        case .noImagesInDirectory(let p):
            return "\(p): the directory holds no images (.jpg, .jpeg, .png, .webp, .bmp, .tif, .tiff)."
        case .modelMissing(let p, let hint):
            return "model file \(p) is missing. \(hint)"
        case .modelInvalid(let p, let r):
            return "model file \(p) cannot be used: \(r)"
        case .backend(let stage, let r):
            return "\(stage) failed: \(r)"
        case .unknownPrior(let name, let available):
            return "'\(name)' is not a prior; choose one of: \(available.joined(separator: ", "))."
        case .priorNotCalibrated(let prior, let model, let available):
            return "the expression model \(model) has no calibration for the \(prior) prior; it has: "
                + available.joined(separator: ", ") + ". Choose one of those, or fit it with `mien calibrate-prior`."
        case .unknownLabelSet(let name, let available):
            return "'\(name)' is not a label set; choose one of: \(available.joined(separator: ", "))."
        }
    }

    private static func megapixels(_ n: Double) -> String {
        let mp = n / 1_000_000
        if mp >= 100 || mp == mp.rounded() { return String(Int(mp.rounded())) }
        return String((mp * 10).rounded() / 10)
    }
}
