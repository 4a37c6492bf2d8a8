// Video decoding on its own thread (cv::VideoCapture, FFmpeg backend; or an MJPEG byte stream), video writing,
// and Farneback optical flow for body-motion energy.
#include "bridge.hpp"
#include "mien_video.h"
#include "mjpeg_splitter.hpp"
#include <algorithm>
#include <cmath>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/video/tracking.hpp>
#include <opencv2/videoio.hpp>
#include <malloc.h>
#include <poll.h>
#include <unistd.h>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Frame {
    cv::Mat bgr;
    long long index;
    double time_s;
};

// Shared between the reader handle and its thread, so a thread stuck in a blocking read can be detached safely.
struct ReaderState {
    mien_video_options options{};
    std::string source;
    cv::VideoCapture capture;
    std::mutex mutex;
    std::condition_variable changed;
    std::deque<Frame> queue;
    bool finished = false;           // the thread will add nothing more
    int end_code = 0;                // 0 clean end, -1 error
    std::string end_message;
    std::atomic<bool> stop{false};
    std::atomic<long long> dropped{0};
    std::atomic<long long> decoded{0};
    Clock::time_point opened;
    double fps = 0;

    // MJPEG byte stream
    MjpegSplitter splitter;

    // Hands a kept frame to the consumer; waits for room (files) or drops the oldest (live).
    void push(Frame &&f) {
        std::unique_lock<std::mutex> lock(mutex);
        if (options.drop_when_full) {
            while ((int)queue.size() >= options.queue_capacity) {
                queue.pop_front();
                dropped++;
            }
        } else {
            changed.wait(lock, [&] { return stop.load() || (int)queue.size() < options.queue_capacity; });
            if (stop) return;
        }
        queue.push_back(std::move(f));
        changed.notify_all();
    }

    void finish(int code, const std::string &message) {
        std::lock_guard<std::mutex> lock(mutex);
        finished = true;
        end_code = code;
        end_message = message;
        changed.notify_all();
    }

    double seconds_since_open() const {
        return std::chrono::duration<double>(Clock::now() - opened).count();
    }

    // One JPEG from the byte stream, or false at the end / on timeout (message says which).
    bool next_jpeg(cv::Mat &out, std::string &message) {
        const double timeout = options.read_timeout_s > 0 ? options.read_timeout_s : 10.0;
        auto last_data = Clock::now();
        for (;;) {
            const uint8_t *picture = nullptr;
            size_t size = 0;
            while (splitter.next(picture, size)) {
                cv::Mat bytes(1, (int)size, CV_8UC1, const_cast<uint8_t *>(picture));
                out = cv::imdecode(bytes, cv::IMREAD_COLOR);
                if (!out.empty()) return true;
                // A damaged picture is skipped; the next one may already be buffered (at the end of the stream it
                // would otherwise be lost).
            }
            if (splitter.overflowed()) {
                message = "the MJPEG stream holds no complete JPEG in 64 MB";
                return false;
            }
            if (stop) return false;
            struct pollfd p{options.fd, POLLIN, 0};
            int ready = ::poll(&p, 1, 100);
            if (ready < 0) {
                message = "cannot read the stream";
                return false;
            }
            if (ready == 0) {
                double waited = std::chrono::duration<double>(Clock::now() - last_data).count();
                if (waited > timeout) {
                    message = "no data for " + std::to_string((int)timeout) + " s; the stream stopped";
                    return false;
                }
                continue;
            }
            uint8_t chunk[65536];
            ssize_t n = ::read(options.fd, chunk, sizeof(chunk));
            if (n <= 0) {
                message = "";  // end of the stream
                return false;
            }
            last_data = Clock::now();
            splitter.append(chunk, (size_t)n);
        }
    }

    // Reads one decoded frame from whichever source. False at the end (message empty) or on failure.
    bool read(cv::Mat &out, std::string &message) {
        if (options.kind == MIEN_VIDEO_MJPEG_FD) return next_jpeg(out, message);
        if (!capture.read(out) || out.empty()) {
            if (options.kind != MIEN_VIDEO_FILE)
                message = "no frame arrived within " + std::to_string((int)options.read_timeout_s)
                    + " s, or the stream ended";
            return false;
        }
        return true;
    }

    bool grab() {
        if (options.kind == MIEN_VIDEO_MJPEG_FD) {
            cv::Mat unused;
            std::string m;
            return next_jpeg(unused, m);
        }
        return capture.grab();
    }

    double frame_time(long long index) const {
        if (options.kind == MIEN_VIDEO_FILE && fps > 0) return (double)index / fps;
        return seconds_since_open();
    }

    void run(long long first_index, cv::Mat first) {
        try {
            long long index = first_index;
            cv::Mat frame = std::move(first);
            const int every = std::max(1, options.every);
            for (;;) {
                if (stop) break;
                double t = frame_time(index);
                if (options.end_s > 0 && t > options.end_s) {
                    finish(0, "");
                    return;
                }
                Frame f{frame.isContinuous() ? frame : frame.clone(), index, t};
                push(std::move(f));
                frame = cv::Mat();  // the queued frame owns the pixels now
                for (int skip = 1; skip < every; ++skip) {
                    if (stop || !grab()) {
                        finish(0, "");
                        return;
                    }
                    decoded++;
                    index++;
                }
                std::string message;
                if (!read(frame, message)) {
                    finish(message.empty() ? 0 : -1, message);
                    return;
                }
                // A stream can change size mid-way: a later frame over the limit ends it like damaged data.
                if (options.max_pixels > 0 && (double)frame.cols * frame.rows > (double)options.max_pixels) {
                    finish(-1, "frame " + std::to_string(index + 1) + " is " + std::to_string(frame.cols) + "x" +
                                   std::to_string(frame.rows) + " pixels, over the pixel limit of " +
                                   std::to_string(options.max_pixels));
                    return;
                }
                decoded++;
                index++;
            }
            finish(0, "");
        } catch (const cv::Exception &e) {
            finish(-1, std::string("decoding failed: ") + e.what());
        } catch (const std::exception &e) {
            finish(-1, std::string("decoding failed: ") + e.what());
        } catch (...) {
            finish(-1, "decoding failed");
        }
    }
};

}  // namespace

struct mien_video_reader {
    std::shared_ptr<ReaderState> state;
    std::thread thread;
};

struct mien_video_writer {
    cv::VideoWriter writer;
    cv::Size size;
};

static bool open_capture(ReaderState &s, mien_error *err) {
    const auto &o = s.options;
    std::vector<int> params;
    if (o.kind != MIEN_VIDEO_FILE) {
        params = {cv::CAP_PROP_OPEN_TIMEOUT_MSEC, (int)(1000 * (o.open_timeout_s > 0 ? o.open_timeout_s : 10)),
                  cv::CAP_PROP_READ_TIMEOUT_MSEC, (int)(1000 * (o.read_timeout_s > 0 ? o.read_timeout_s : 10))};
    }
    bool ok = false;
    if (o.kind == MIEN_VIDEO_DEVICE) {
        ok = s.capture.open(s.source, cv::CAP_V4L2, params);
    } else {
        ok = s.capture.open(s.source, cv::CAP_FFMPEG, params);
    }
    if (!ok || !s.capture.isOpened()) {
        if (o.kind == MIEN_VIDEO_FILE)
            mien_set_error(err, MIEN_ERR_DECODE, "not a video OpenCV's FFmpeg backend can open (or its header is damaged)");
        else if (o.kind == MIEN_VIDEO_DEVICE)
            mien_set_error(err, MIEN_ERR_IO, "cannot open the camera (does the device exist, and may you read it?)");
        else
            mien_set_error(err, MIEN_ERR_IO, "cannot open the stream (check the URL; gave up after the open timeout)");
        return false;
    }
    return true;
}

/// Frames over the caller's pixel limit are refused like stills over it: the size goes back in `info`, the caller
/// words the error. Sides are compared as doubles (a declared size can be anything a container field holds).
static bool over_pixel_limit(const mien_video_options *options, double width, double height, mien_video_info *info,
                             mien_error *err) {
    if (options->max_pixels <= 0 || !(width > 0 && height > 0) || width * height <= (double)options->max_pixels)
        return false;
    if (info) {
        info->width = (int)std::min(width, 2147483647.0);
        info->height = (int)std::min(height, 2147483647.0);
    }
    mien_set_error(err, MIEN_ERR_TOO_MANY_PIXELS, "the video's frames are over the pixel limit");
    return true;
}

extern "C" mien_video_reader *mien_video_open(const mien_video_options *options, mien_video_info *info,
                                             mien_error *err) {
    return mien_guard<mien_video_reader *>(err, nullptr, [&]() -> mien_video_reader * {
        if (!options || options->queue_capacity < 1 || options->every < 1) {
            mien_set_error(err, MIEN_ERR_ARGUMENT, "invalid video options");
            return nullptr;
        }
        // Frames are megabytes each and change hands between threads; glibc's adaptive mmap threshold would keep
        // freed frames in per-thread heaps, so resident memory would creep up with video length. Buffers over
        // 1 MB are mapped and unmapped directly instead (measured: peak RSS flat over a 10-minute 720p video).
        static bool tuned = (mallopt(M_MMAP_THRESHOLD, 1 << 20), true);
        (void)tuned;
        auto state = std::make_shared<ReaderState>();
        state->options = *options;
        state->source = options->source ? options->source : "";
        state->options.source = nullptr;
        state->opened = Clock::now();
        cv::Mat first;
        long long index = 0;
        if (options->kind == MIEN_VIDEO_MJPEG_FD) {
            std::string message;
            if (!state->next_jpeg(first, message)) {
                mien_set_error(err, MIEN_ERR_DECODE,
                               message.empty() ? "the MJPEG stream ended before its first picture" : message);
                return nullptr;
            }
        } else {
            if (!open_capture(*state, err)) return nullptr;
            // The size the container declares, before any frame is decoded and converted (a frame of a huge
            // declared size would otherwise be allocated, three of them queued ahead).
            if (over_pixel_limit(options, state->capture.get(cv::CAP_PROP_FRAME_WIDTH),
                                 state->capture.get(cv::CAP_PROP_FRAME_HEIGHT), info, err))
                return nullptr;
            state->fps = state->capture.get(cv::CAP_PROP_FPS);
            if (!(state->fps > 0 && state->fps < 1000)) state->fps = 0;
            if (!state->capture.read(first) || first.empty()) {
                mien_set_error(err, MIEN_ERR_DECODE, options->kind == MIEN_VIDEO_FILE
                                   ? "the video holds no decodable frame (empty, or cut short before its first frame)"
                                   : "no frame arrived from the source within the timeout");
                return nullptr;
            }
            // --start: the first frame at or after the start time, exactly. Far into a file, OpenCV seeks to the
            // keyframe before it and decodes forward, numbering frames from their timestamps; it must then report
            // exactly the frame asked for, else the file is opened again and read from the beginning. Frames before
            // the start are only grabbed (decoded, never converted to BGR), then the first one kept is read.
            if (options->kind == MIEN_VIDEO_FILE && options->start_s > 0 && state->fps > 0 &&
                state->frame_time(index) + 1e-9 < options->start_s) {
                long long target = (long long)std::ceil(options->start_s * state->fps - 1e-6);
                while (target > 0 && state->frame_time(target - 1) + 1e-9 >= options->start_s) target--;
                while (state->frame_time(target) + 1e-9 < options->start_s) target++;
                if (target > (long long)(4 * state->fps)) {
                    bool landed = state->capture.set(cv::CAP_PROP_POS_FRAMES, (double)target) &&
                                  (long long)std::llround(state->capture.get(cv::CAP_PROP_POS_FRAMES)) == target;
                    if (landed && state->capture.read(first) && !first.empty()) {
                        index = target;
                    } else {
                        state->capture.release();
                        if (!open_capture(*state, err)) return nullptr;
                        if (!state->capture.read(first) || first.empty()) {
                            mien_set_error(err, MIEN_ERR_DECODE, "the video holds no decodable frame");
                            return nullptr;
                        }
                        index = 0;
                    }
                }
            }
            if (options->kind == MIEN_VIDEO_FILE && options->start_s > 0 && state->fps > 0 &&
                state->frame_time(index) + 1e-9 < options->start_s) {
                while (state->frame_time(index + 1) + 1e-9 < options->start_s) {
                    if (!state->capture.grab()) {
                        mien_set_error(err, MIEN_ERR_ARGUMENT, "--start lies beyond the end of the video");
                        return nullptr;
                    }
                    index++;
                }
                if (!state->capture.read(first) || first.empty()) {
                    mien_set_error(err, MIEN_ERR_ARGUMENT, "--start lies beyond the end of the video");
                    return nullptr;
                }
                index++;
            }
        }
        // The first frame as decoded (an MJPEG stream declares nothing; a container may understate its size).
        if (over_pixel_limit(options, first.cols, first.rows, info, err)) return nullptr;
        state->decoded = index + 1;
        if (info) {
            info->width = first.cols;
            info->height = first.rows;
            info->fps = state->fps;
            info->frame_count = options->kind == MIEN_VIDEO_FILE
                ? (long long)state->capture.get(cv::CAP_PROP_FRAME_COUNT) : 0;
        }
        if (first.channels() != 3) {
            cv::Mat bgr;
            cv::cvtColor(first, bgr, first.channels() == 1 ? cv::COLOR_GRAY2BGR : cv::COLOR_BGRA2BGR);
            first = bgr;
        }
        auto *reader = new mien_video_reader();
        reader->state = state;
        reader->thread = std::thread([state, index, first]() mutable { state->run(index, std::move(first)); });
        return reader;
    });
}

extern "C" int mien_video_next(mien_video_reader *reader, double timeout_s, mien_image **frame, long long *index,
                               double *time_s, mien_error *err) {
    *frame = nullptr;
    return mien_guard<int>(err, -1, [&]() -> int {
        auto &s = *reader->state;
        std::unique_lock<std::mutex> lock(s.mutex);
        auto ready = [&] { return !s.queue.empty() || s.finished; };
        if (!s.changed.wait_for(lock, std::chrono::duration<double>(std::max(0.0, timeout_s)), ready)) return -2;
        if (!s.queue.empty()) {
            Frame f = std::move(s.queue.front());
            s.queue.pop_front();
            s.changed.notify_all();
            lock.unlock();
            auto *image = new mien_image();
            image->bgr = std::move(f.bgr);
            *frame = image;
            *index = f.index;
            *time_s = f.time_s;
            return 1;
        }
        if (s.end_code != 0) {
            mien_set_error(err, MIEN_ERR_DECODE, s.end_message);
            return -1;
        }
        if (!s.end_message.empty()) mien_set_error(err, MIEN_OK, s.end_message);
        return 0;
    });
}

extern "C" long long mien_video_dropped(const mien_video_reader *reader) { return reader->state->dropped; }
extern "C" long long mien_video_decoded(const mien_video_reader *reader) { return reader->state->decoded; }

extern "C" void mien_video_close(mien_video_reader *reader) {
    if (!reader) return;
    try {
        auto state = reader->state;
        state->stop = true;
        {
            std::lock_guard<std::mutex> lock(state->mutex);
            state->changed.notify_all();
        }
        // A thread blocked inside FFmpeg returns at its read timeout; wait about a second, then let it finish on
        // its own (it holds its own reference to the state).
        for (int i = 0; i < 100; ++i) {
            {
                std::lock_guard<std::mutex> lock(state->mutex);
                if (state->finished) break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        bool done;
        {
            std::lock_guard<std::mutex> lock(state->mutex);
            done = state->finished;
        }
        if (done) reader->thread.join(); else reader->thread.detach();
    } catch (...) {
    }
    delete reader;
}

extern "C" mien_video_writer *mien_video_writer_open(const char *path, double fps, int width, int height,
                                                    char codec[8], mien_error *err) {
    return mien_guard<mien_video_writer *>(err, nullptr, [&]() -> mien_video_writer * {
        if (width <= 0 || height <= 0 || !(fps > 0)) {
            mien_set_error(err, MIEN_ERR_ARGUMENT, "invalid video size or frame rate");
            return nullptr;
        }
        auto *w = new mien_video_writer();
        w->size = cv::Size(width, height);
        for (const char *name : {"avc1", "mp4v"}) {
            int fourcc = cv::VideoWriter::fourcc(name[0], name[1], name[2], name[3]);
            if (w->writer.open(path, cv::CAP_FFMPEG, fourcc, fps, w->size, true) && w->writer.isOpened()) {
                std::snprintf(codec, 8, "%s", name);
                return w;
            }
        }
        delete w;
        mien_set_error(err, MIEN_ERR_IO, std::string("cannot write a video to ") + path
                       + " (neither H.264 nor MPEG-4 is available, or the folder is not writable)");
        return nullptr;
    });
}

extern "C" int mien_video_writer_write(mien_video_writer *writer, const mien_image *frame, mien_error *err) {
    return mien_guard<int>(err, 0, [&]() -> int {
        if (frame->bgr.size() == writer->size) {
            writer->writer.write(frame->bgr);
        } else {
            cv::Mat resized;
            cv::resize(frame->bgr, resized, writer->size);
            writer->writer.write(resized);
        }
        return 1;
    });
}

extern "C" void mien_video_writer_close(mien_video_writer *writer) {
    if (!writer) return;
    try {
        writer->writer.release();
    } catch (...) {
    }
    delete writer;
}

static cv::Rect clipped(const cv::Mat &m, mien_box b) {
    cv::Rect r((int)std::floor(b.x), (int)std::floor(b.y), (int)std::ceil(b.width), (int)std::ceil(b.height));
    return r & cv::Rect(0, 0, m.cols, m.rows);
}

extern "C" int mien_motion_energy(const mien_image *previous, const mien_image *current, mien_box region, int width,
                                  float *mean_magnitude, mien_error *err) {
    return mien_guard<int>(err, 0, [&]() -> int {
        if (previous->bgr.size() != current->bgr.size() || width < 8) {
            mien_set_error(err, MIEN_ERR_ARGUMENT, "frames differ in size");
            return 0;
        }
        cv::Rect r = clipped(current->bgr, region);
        if (r.width < 8 || r.height < 8) {
            mien_set_error(err, MIEN_ERR_ARGUMENT, "region lies outside the frame");
            return 0;
        }
        // Small grey patches keep Farneback well under a millisecond; motion energy needs no fine detail.
        int height = std::max(8, (int)std::lround((double)width * r.height / r.width));
        cv::Mat a, b, ga, gb;
        cv::resize(previous->bgr(r), a, cv::Size(width, height), 0, 0, cv::INTER_AREA);
        cv::resize(current->bgr(r), b, cv::Size(width, height), 0, 0, cv::INTER_AREA);
        cv::cvtColor(a, ga, cv::COLOR_BGR2GRAY);
        cv::cvtColor(b, gb, cv::COLOR_BGR2GRAY);
        cv::Mat flow;
        cv::calcOpticalFlowFarneback(ga, gb, flow, 0.5, 2, 9, 2, 5, 1.1, 0);
        double sum = 0;
        for (int y = 0; y < flow.rows; ++y) {
            const cv::Point2f *row = flow.ptr<cv::Point2f>(y);
            for (int x = 0; x < flow.cols; ++x) sum += std::hypot(row[x].x, row[x].y);
        }
        *mean_magnitude = (float)(sum / (double)flow.total() / width);
        return 1;
    });
}

extern "C" mien_image *mien_image_crop(const mien_image *image, mien_box region, int width, mien_error *err) {
    return mien_guard<mien_image *>(err, nullptr, [&]() -> mien_image * {
        cv::Rect r = clipped(image->bgr, region);
        if (r.width < 2 || r.height < 2 || width < 2) {
            mien_set_error(err, MIEN_ERR_ARGUMENT, "region lies outside the image");
            return nullptr;
        }
        int height = std::max(2, (int)std::lround((double)width * r.height / r.width));
        auto *out = new mien_image();
        cv::resize(image->bgr(r), out->bgr, cv::Size(width, height), 0, 0, cv::INTER_AREA);
        return out;
    });
}
