/*
 * mien_vision.h — the plain C face of Mien's only C++ code.
 *
 * Everything that touches OpenCV 4.6 or dlib 19.24 lives behind this header. The rules:
 *  - opaque handles, plain structs, no C++ types;
 *  - every call that can fail takes a `mien_error *` and returns 0 / NULL on failure with a message in it;
 *  - no C++ exception crosses this boundary (each entry point catches everything).
 * Colour images are kept as 8-bit BGR internally; decoding converts grey, alpha and 16-bit inputs to that.
 */
#ifndef MIEN_VISION_H
#define MIEN_VISION_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    MIEN_OK = 0,
    MIEN_ERR_IO = 1,          /* file cannot be opened or read */
    MIEN_ERR_DECODE = 2,      /* bytes are not a decodable image/video */
    MIEN_ERR_ARGUMENT = 3,    /* caller passed something impossible */
    MIEN_ERR_MODEL = 4,       /* model file missing, corrupt or wrong shape */
    MIEN_ERR_INTERNAL = 5,    /* OpenCV/dlib threw something unexpected */
    MIEN_ERR_TOO_MANY_PIXELS = 6 /* a video's frames are over the caller's pixel limit (info holds their size) */
} mien_status;

typedef struct {
    int code;
    char message[512];
} mien_error;

typedef struct mien_image mien_image;
typedef struct mien_landmarker mien_landmarker;
typedef struct mien_hog_detector mien_hog_detector;
typedef struct mien_cascade mien_cascade;
typedef struct mien_net mien_net;

typedef struct {
    float x, y, width, height;
    float score;
} mien_box;

/* ---- threads ---- */
/* Number of threads OpenCV may use (1 = single core; 0 = OpenCV's default). */
void mien_set_num_threads(int n);

/* ---- images ---- */
/* Decode from bytes; EXIF orientation is applied. Grey/alpha/16-bit become 8-bit BGR. */
mien_image *mien_image_decode(const uint8_t *bytes, size_t length, mien_error *err);
/* Wrap a copy of raw pixels: channels 1 (grey) or 3 (BGR), rows `stride` bytes apart. */
mien_image *mien_image_from_pixels(const uint8_t *pixels, int width, int height, int channels, int stride,
                                   mien_error *err);
mien_image *mien_image_clone(const mien_image *image);
void mien_image_free(mien_image *image);
int mien_image_width(const mien_image *image);
int mien_image_height(const mien_image *image);
/* Copy out 8-bit grey (width*height bytes) or BGR (width*height*3 bytes). */
int mien_image_copy_gray(const mien_image *image, uint8_t *out, size_t capacity, mien_error *err);
int mien_image_copy_bgr(const mien_image *image, uint8_t *out, size_t capacity, mien_error *err);
/* Resize keeping aspect ratio, pad to size×size, write planar RGB floats in [-1, 1] (NCHW, 3*size*size).
 * scale/pad_x/pad_y let the caller map boxes back: original = (letterboxed - pad) / scale. */
int mien_image_letterbox_rgb(const mien_image *image, int size, float *out, float *scale, float *pad_x,
                             float *pad_y, mien_error *err);
/* Warp with a 2×3 affine matrix (row-major, maps source → destination) into a width×height crop.
 * channels 1 writes grey bytes, 3 writes BGR bytes. Border pixels replicate the edge. area_prefilter 1: a warp that
 * shrinks more than 2× area-averages the source region first (the classifier's crops); 0: one plain bilinear warp,
 * exactly as MediaPipe's graphs cut their models' inputs. */
int mien_image_warp_affine(const mien_image *image, const double matrix[6], int width, int height, int channels,
                           int area_prefilter, uint8_t *out, mien_error *err);
/* Encode to a file; the extension picks the format (.jpg, .png, …). */
int mien_image_write(const mien_image *image, const char *path, mien_error *err);
/* Encode to memory (".jpg" or ".png"); *out is malloc'd, the caller frees it with mien_free_bytes. */
int mien_image_encode(const mien_image *image, const char *extension, uint8_t **out, size_t *length,
                      mien_error *err);
/* JPEG at a given quality (1-100; other formats ignore it). Free *out with mien_free_bytes. */
int mien_image_encode_quality(const mien_image *image, const char *extension, int quality, uint8_t **out,
                              size_t *length, mien_error *err);
void mien_free_bytes(uint8_t *bytes);

/* ---- drawing (for --annotate) ---- */
void mien_draw_rect(mien_image *image, float x, float y, float w, float h, uint8_t b, uint8_t g, uint8_t r,
                    int thickness);
void mien_draw_circle(mien_image *image, float x, float y, float radius, uint8_t b, uint8_t g, uint8_t r,
                      int thickness);
void mien_draw_line(mien_image *image, float x0, float y0, float x1, float y1, uint8_t b, uint8_t g, uint8_t r,
                    int thickness);
/* Text with a filled background box so it stays readable on any photo. */
void mien_draw_label(mien_image *image, const char *text, float x, float y, double font_scale, uint8_t b,
                     uint8_t g, uint8_t r);

/* ---- face detection: dlib HOG and OpenCV cascades (DNN detectors go through mien_net) ---- */
mien_hog_detector *mien_hog_detector_create(mien_error *err);
void mien_hog_detector_free(mien_hog_detector *detector);
/* upsample: 0 or 1 pyramid up-steps. Returns the number of boxes written (≤ capacity), or -1 on error. */
int mien_hog_detect(mien_hog_detector *detector, const mien_image *image, int upsample, mien_box *out,
                    int capacity, mien_error *err);

mien_cascade *mien_cascade_load(const char *path, mien_error *err);
void mien_cascade_free(mien_cascade *cascade);
int mien_cascade_detect(mien_cascade *cascade, const mien_image *image, int min_size, mien_box *out,
                        int capacity, mien_error *err);

/* ---- landmarks: dlib's 68-point shape predictor (iBUG-300W layout) ---- */
mien_landmarker *mien_landmarker_load(const char *path, mien_error *err);
/* mode 0: packed re-layout read by Mien's decoder (the default); 1: dlib's own shape_predictor (same points, ~2x
   slower); 2: packed, read through dlib's deserialisers (same arrays as 0, 5x slower to load). 1 and 2: tests. */
mien_landmarker *mien_landmarker_load_implementation(const char *path, int mode, mien_error *err);
/* FNV-1a of the packed arrays (0 for mode 1): modes 0 and 2 must agree. */
uint64_t mien_landmarker_fingerprint(const mien_landmarker *landmarker);
void mien_landmarker_free(mien_landmarker *landmarker);
/* Writes 136 floats: x0, y0, x1, y1, … in image pixels. */
int mien_landmarker_fit(const mien_landmarker *landmarker, const mien_image *image, mien_box box, float *xy,
                        mien_error *err);

/* ---- head pose ---- */
/* solvePnP (iterative) for n 2-D/3-D correspondences with a pinhole camera (no distortion).
 * Writes the 3×3 rotation (row-major) and translation of the model in camera coordinates. */
int mien_solve_pnp(const float *image_points, const float *model_points, int n, double focal, double cx,
                   double cy, double rotation[9], double translation[3], mien_error *err);

/* ---- DNN (ONNX through OpenCV's dnn module) ---- */
mien_net *mien_net_load_onnx(const char *path, mien_error *err);
void mien_net_free(mien_net *net);
/* Forward an NCHW float blob. For each requested output name, *outputs[i] receives a malloc'd float array of
 * output_counts[i] elements (free with mien_free_floats). Returns 1 on success. */
int mien_net_forward(mien_net *net, const float *input, int n, int c, int h, int w, const char *input_name,
                     const char *const *output_names, int output_count, float **outputs, size_t *output_counts,
                     mien_error *err);
void mien_free_floats(float *values);

#ifdef __cplusplus
}
#endif

#endif
