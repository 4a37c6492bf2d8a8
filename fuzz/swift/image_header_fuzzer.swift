// Coverage-guided fuzzing of Mien's own image-header reader (MienCore/Input/ImageHeader.swift): format sniffing
// and dimensions (EXIF orientation is applied by OpenCV's decoder, fuzzed through the C++ harness). Built by fuzz/run.sh with the Swift toolchain's libFuzzer and AddressSanitizer;
// a crash, a trap (Swift's bounds and overflow checks) or a hang is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImageHeader(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let header = ImageHeader.parse(bytes) {
        // Invariants every parsed header keeps. Zero is allowed (the decoder refuses it as corrupt); negative never.
        precondition(header.width >= 0 && header.height >= 0, "parsed a header with a negative size")
        _ = header.pixelCount
    }
    return 0
}
