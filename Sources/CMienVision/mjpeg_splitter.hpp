// Splits an MJPEG byte stream (`ffmpeg -f mjpeg`: bare JPEGs back to back, as `mien live -` and the server's live
// WebSocket feed it) into candidate pictures, with no I/O and no decoding, so that libFuzzer can drive it alone
// (fuzz/mjpeg_split_fuzzer.cpp). video.cpp reads the pipe, appends what arrives, and decodes what this hands out.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

class MjpegSplitter {
public:
    // A stream that holds no complete picture in this many bytes is refused (the caller ends the stream).
    static constexpr size_t max_buffered = 64u << 20;

    void append(const uint8_t *data, size_t size) {
        if (size == 0) return;
        head += consumed;   // the picture handed out last is invalid from here on
        consumed = 0;
        // Consumed bytes are dropped lazily: erasing the front after every picture would move the rest of the
        // buffer once per picture (quadratic in the number of small pictures in one read).
        if (head > 0 && head >= bytes.size() / 2) {
            bytes.erase(bytes.begin(), bytes.begin() + (std::ptrdiff_t)head);
            if (start_found) scan -= head;
            head = 0;
        }
        bytes.insert(bytes.end(), data, data + size);
    }

    // The next complete picture: from a start-of-image marker (FF D8) to the first end-of-image marker (FF D9) after
    // it. Bytes before the start marker are dropped. Entropy-coded data stuffs 0xFF as FF 00, so FF D9 only occurs as
    // the end marker. The picture stays valid until the next call to `append` or `next`; false when none is complete
    // yet (append more).
    bool next(const uint8_t *&picture, size_t &size) {
        head += consumed;
        consumed = 0;
        if (!start_found) {
            size_t start = head;
            while (start + 1 < bytes.size() && !(bytes[start] == 0xFF && bytes[start + 1] == 0xD8)) ++start;
            // No start marker: everything but a last byte that may begin one is dropped.
            head = start;
            if (start + 1 >= bytes.size()) return false;
            start_found = true;
            scan = head + 2;
        }
        // Resume where the last search stopped: a 64 MB picture arriving in 64 KB reads is searched once, not once
        // per read (1,024 times over, which a live client could ask for with one endless picture).
        for (size_t i = scan; i + 1 < bytes.size(); ++i) {
            if (bytes[i] == 0xFF && bytes[i + 1] == 0xD9) {
                picture = bytes.data() + head;
                size = i + 2 - head;
                consumed = size;
                start_found = false;
                return true;
            }
        }
        scan = bytes.size() > head + 2 ? bytes.size() - 1 : head + 2;
        return false;
    }

    // Bytes kept for a picture not yet complete.
    size_t buffered() const { return bytes.size() - head - consumed; }
    bool overflowed() const { return buffered() > max_buffered; }

private:
    std::vector<uint8_t> bytes;
    size_t head = 0;         // first byte not yet consumed or dropped
    size_t consumed = 0;     // size of the picture last handed out (dropped at the next call)
    bool start_found = false;
    size_t scan = 0;         // where the search for the end marker resumes (valid while start_found)
};
