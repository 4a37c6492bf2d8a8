// Internal to CMienVision: the handle structs and the guard that keeps C++ exceptions from crossing the C header.
#pragma once
#include "mien_vision.h"
#include <opencv2/core.hpp>
#include <cstdio>
#include <cstring>
#include <exception>
#include <istream>
#include <string>

struct mien_image {
    cv::Mat bgr;  // CV_8UC3, continuous
};

inline void mien_set_error(mien_error *err, int code, const std::string &message) {
    if (!err) return;
    err->code = code;
    std::snprintf(err->message, sizeof(err->message), "%s", message.c_str());
}

inline void mien_clear_error(mien_error *err) {
    if (!err) return;
    err->code = MIEN_OK;
    err->message[0] = '\0';
}

// Runs `body`, turning any exception into an error code and message. `fallback` is returned on failure.
template <typename T, typename F>
T mien_guard(mien_error *err, T fallback, F body) {
    mien_clear_error(err);
    try {
        return body();
    } catch (const cv::Exception &e) {
        mien_set_error(err, MIEN_ERR_INTERNAL, std::string("OpenCV: ") + e.what());
    } catch (const std::exception &e) {
        mien_set_error(err, MIEN_ERR_INTERNAL, e.what());
    } catch (...) {
        mien_set_error(err, MIEN_ERR_INTERNAL, "unknown C++ exception");
    }
    return fallback;
}

// Reads a landmark model from any stream: the model file (mien_landmarker_load), or the bytes of
// fuzz/landmark_model_fuzzer.cpp. Modes as mien_landmarker_load_implementation.
mien_landmarker *mien_landmarker_read(std::istream &in, int mode, mien_error *err);
