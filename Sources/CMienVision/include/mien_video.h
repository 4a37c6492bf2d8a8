/*
 * mien_video.h — video in and out, and dense optical flow, behind the same plain C rules as mien_vision.h.
 *
 * A reader decodes on its own thread into a small bounded queue, so decoding overlaps analysis. Files wait for
 * the consumer (nothing is lost); live sources drop the oldest queued frame instead and count what they dropped,
 * so latency stays bounded. Every wait has a timeout: a stalled stream ends, it never hangs.
 */
#ifndef MIEN_VIDEO_H
#define MIEN_VIDEO_H

#include "mien_vision.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mien_video_reader mien_video_reader;
typedef struct mien_video_writer mien_video_writer;

typedef enum {
    MIEN_VIDEO_FILE = 0,       /* a file OpenCV's FFmpeg backend reads (MP4, WebM, AVI, MOV, …) */
    MIEN_VIDEO_DEVICE = 1,     /* a camera, /dev/videoN (V4L2) */
    MIEN_VIDEO_URL = 2,        /* RTSP/HTTP stream through FFmpeg */
    MIEN_VIDEO_MJPEG_FD = 3    /* concatenated JPEGs on a file descriptor (e.g. `ffmpeg -f mjpeg -` on stdin) */
} mien_video_kind;

typedef struct {
    int kind;                  /* mien_video_kind */
    const char *source;        /* path, device path or URL (unused for MJPEG_FD) */
    int fd;                    /* MJPEG_FD only */
    int every;                 /* keep every Nth decoded frame (1 = all) */
    double start_s;            /* skip frames before this time (files) */
    double end_s;              /* stop after this time; <= 0: to the end */
    int queue_capacity;        /* decoded frames held ahead of the consumer (>= 1) */
    int drop_when_full;        /* 1: drop the oldest queued frame rather than wait (live) */
    double open_timeout_s;     /* streams: give up opening after this long */
    double read_timeout_s;     /* streams: end when no frame arrives for this long */
    long long max_pixels;      /* > 0: refuse a source whose frames are larger (width × height), before decoding
                                  when the container declares the size; 0: no limit */
} mien_video_options;

typedef struct {
    int width, height;
    double fps;                /* the container's claim; 0 when unknown (live) */
    long long frame_count;     /* the container's claim; 0 or less when unknown */
} mien_video_info;

/* Opens the source and starts the decoding thread. For files the first frame is decoded before this returns,
 * so a file that is not a video, or holds no decodable frame, fails here with MIEN_ERR_DECODE. */
mien_video_reader *mien_video_open(const mien_video_options *options, mien_video_info *info, mien_error *err);
/* Waits up to timeout_s for the next kept frame. Returns 1 with *frame set (free with mien_image_free), 0 at the
 * end of the stream, -1 when decoding failed mid-way (err says why; frames before were valid), -2 on timeout. */
int mien_video_next(mien_video_reader *reader, double timeout_s, mien_image **frame, long long *index,
                    double *time_s, mien_error *err);
/* Frames dropped so far because the consumer fell behind (live sources only). */
long long mien_video_dropped(const mien_video_reader *reader);
/* Frames decoded so far (kept or skipped by `every`). */
long long mien_video_decoded(const mien_video_reader *reader);
/* Stops the thread and frees the reader. Never blocks longer than about one second. */
void mien_video_close(mien_video_reader *reader);

/* Writer: tries H.264 ("avc1") first, then MPEG-4 part 2 ("mp4v"); *codec receives the one used. */
mien_video_writer *mien_video_writer_open(const char *path, double fps, int width, int height, char codec[8],
                                          mien_error *err);
int mien_video_writer_write(mien_video_writer *writer, const mien_image *frame, mien_error *err);
void mien_video_writer_close(mien_video_writer *writer);

/* Motion in `region` between two frames of the same size: Farneback dense optical flow on the region resampled
 * to `width` pixels wide (grey). Writes the mean flow magnitude as a fraction of the region's width. */
int mien_motion_energy(const mien_image *previous, const mien_image *current, mien_box region, int width,
                       float *mean_magnitude, mien_error *err);

/* A copy of `region` scaled to `width` pixels wide (aspect kept), for thumbnails. */
mien_image *mien_image_crop(const mien_image *image, mien_box region, int width, mien_error *err);

#ifdef __cplusplus
}
#endif

#endif
