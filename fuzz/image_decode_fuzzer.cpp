// libFuzzer harness for the bridge's image decoder (OpenCV imdecode behind mien_image_decode) and its pixel
// accessors. Build and run: fuzz/run.sh [seconds]. Any crash, hang or sanitizer report is a bug in the bridge.
#include "mien_vision.h"
#include <cstdint>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    mien_error err;
    mien_image *image = mien_image_decode(data, size, &err);
    if (!image) return 0;
    int w = mien_image_width(image), h = mien_image_height(image);
    // Exercise what the analyzer does next: grey copy, letterbox, a warp.
    if ((size_t)w * h <= 4096 * 4096) {
        std::vector<uint8_t> gray((size_t)w * h);
        mien_image_copy_gray(image, gray.data(), gray.size(), &err);
        std::vector<float> blob(3 * 128 * 128);
        float scale, px, py;
        mien_image_letterbox_rgb(image, 128, blob.data(), &scale, &px, &py, &err);
        double m[6] = {0.5, 0, 0, 0, 0.5, 0};
        std::vector<uint8_t> crop(48 * 48);
        mien_image_warp_affine(image, m, 48, 48, 1, crop.data(), &err);
    }
    mien_image_free(image);
    return 0;
}
