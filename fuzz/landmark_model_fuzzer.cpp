// libFuzzer harness for Mien's own decoder of dlib's 68-point landmark model (Sources/CMienVision/landmarks.cpp:
// fast_source, packed_predictor::load, and the fall-back to dlib's deserialisers for the pre-2013 float format), fed
// through mien_landmarker_read as the model file's bytes. A model that loads is also fingerprinted and fitted to a
// small grey picture, so a model the decoder accepts must be safe to run (every split, leaf and anchor in range).
// A crash, a sanitizer report, a C++ exception crossing the bridge or an allocation over the limit is a finding.
// Build and run: fuzz/run.sh landmark_model SECONDS.
#include "bridge.hpp"
#include <sstream>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    std::istringstream in(std::string((const char *)data, size), std::ios::binary);
    mien_error err;
    mien_landmarker *model = mien_landmarker_read(in, 0, &err);
    if (!model) return 0;
    (void)mien_landmarker_fingerprint(model);
    mien_image image;
    image.bgr = cv::Mat(64, 64, CV_8UC3);
    for (int y = 0; y < 64; ++y)
        for (int x = 0; x < 64; ++x) image.bgr.at<cv::Vec3b>(y, x) = cv::Vec3b(x * 4, y * 4, (x ^ y) * 4);
    float xy[2 * 68];
    mien_landmarker_fit(model, &image, mien_box{8, 8, 48, 48}, xy, &err);
    mien_landmarker_free(model);
    return 0;
}
