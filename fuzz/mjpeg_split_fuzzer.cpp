// libFuzzer harness for the MJPEG stream splitter of `mien live` and the server's live WebSocket
// (Sources/CMienVision/mjpeg_splitter.hpp). The input is a stream; its first two bytes choose how it is cut into reads
// (as a pipe delivers it, in pieces of any size). Checked on every input:
//   - every picture starts with FF D8, ends with FF D9, and holds no FF D9 before its end (after its first 2 bytes);
//   - the pictures are exactly those of a one-pass reference split of the whole stream, however it was cut;
//   - what stays buffered never exceeds what was appended.
// A crash, a sanitizer report or a failed check is a finding. Build and run: fuzz/run.sh mjpeg_split SECONDS.
#include "mjpeg_splitter.hpp"
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <utility>
#include <vector>

namespace {

void check(bool ok, const char *what) {
    if (!ok) {
        std::fprintf(stderr, "mjpeg_split: %s\n", what);
        std::abort();
    }
}

// The splitter's contract on the whole stream at once: from each start marker, to the first end marker after it.
std::vector<std::pair<size_t, size_t>> reference(const uint8_t *d, size_t n) {
    std::vector<std::pair<size_t, size_t>> out;
    size_t pos = 0;
    for (;;) {
        size_t s = pos;
        while (s + 1 < n && !(d[s] == 0xFF && d[s + 1] == 0xD8)) ++s;
        if (s + 1 >= n) break;
        size_t i = s + 2;
        while (i + 1 < n && !(d[i] == 0xFF && d[i + 1] == 0xD9)) ++i;
        if (i + 1 >= n) break;
        out.emplace_back(s, i + 2 - s);
        pos = i + 2;
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    uint32_t state = (uint32_t)data[0] << 8 | data[1] | 1u;
    const size_t max_read = 1 + data[0] % 64;
    const uint8_t *stream = data + 2;
    const size_t n = size - 2;

    const auto expected = reference(stream, n);
    MjpegSplitter splitter;
    size_t offset = 0, found = 0;
    while (offset < n) {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        const size_t piece = std::min(n - offset, 1 + (size_t)(state % max_read));
        splitter.append(stream + offset, piece);
        offset += piece;
        const uint8_t *picture = nullptr;
        size_t length = 0;
        while (splitter.next(picture, length)) {
            check(length >= 4, "a picture shorter than its two markers");
            check(picture[0] == 0xFF && picture[1] == 0xD8, "a picture that does not start with FF D8");
            check(picture[length - 2] == 0xFF && picture[length - 1] == 0xD9, "a picture that does not end with FF D9");
            for (size_t i = 2; i + 2 < length; ++i)
                check(!(picture[i] == 0xFF && picture[i + 1] == 0xD9), "a picture that runs past its end marker");
            check(found < expected.size(), "more pictures than the stream holds");
            check(length == expected[found].second, "a picture of another size than the reference split's");
            check(picture == nullptr || std::equal(picture, picture + length, stream + expected[found].first),
                  "a picture with other bytes than the reference split's");
            ++found;
        }
        check(splitter.buffered() <= offset, "more bytes buffered than appended");
    }
    check(found == expected.size(), "pictures the stream holds were not handed out");
    return 0;
}
