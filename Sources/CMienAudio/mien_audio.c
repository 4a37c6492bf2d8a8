/* FFmpeg (libavformat/libavcodec/libswresample, Debian's 5.1) behind a plain C pull API.
 * Memory stays bounded: at most one decoded frame's resampled samples wait in `pending`. */
#include "mien_audio.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>

/* A file whose packets fail this many times in a row is broken, not merely scratched. */
#define MIEN_MAX_CONSECUTIVE_BAD_PACKETS 64

struct MienAudioDecoder {
    AVFormatContext *fmt;
    AVCodecContext *codec;
    SwrContext *swr;
    AVPacket *packet;
    AVFrame *frame;
    int stream_index;
    int target_rate;
    /* What `swr` was configured for; a stream may change format mid-way (rare, e.g. concatenated MP3s). */
    int swr_in_rate;
    int swr_in_format;
    AVChannelLayout swr_in_layout;
    float *pending;
    long pending_len, pending_pos, pending_cap;
    int sent_flush;      /* NULL packet sent to the decoder */
    int finished;        /* decoder drained and resampler flushed */
    long skipped;
    long bad_in_a_row;
    MienAudioInfo info;
};

static void set_error(MienAudioError *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_error(MienAudioError *err, int code, const char *fmt, ...) {
    if (!err) return;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
}

static const char *av_message(int averr, char *buf, size_t n) {
    if (av_strerror(averr, buf, n) < 0) snprintf(buf, n, "FFmpeg error %d", averr);
    return buf;
}

static void input_layout(const AVCodecContext *c, AVChannelLayout *out) {
    if (c->ch_layout.order != AV_CHANNEL_ORDER_UNSPEC && c->ch_layout.nb_channels > 0) {
        av_channel_layout_copy(out, &c->ch_layout);
    } else {
        av_channel_layout_default(out, c->ch_layout.nb_channels > 0 ? c->ch_layout.nb_channels : 1);
    }
}

static int configure_resampler(MienAudioDecoder *d, const AVFrame *f, MienAudioError *err) {
    AVChannelLayout in_layout = {0};
    if (f->ch_layout.nb_channels > 0 && f->ch_layout.order != AV_CHANNEL_ORDER_UNSPEC) {
        av_channel_layout_copy(&in_layout, &f->ch_layout);
    } else if (f->ch_layout.nb_channels > 0) {
        av_channel_layout_default(&in_layout, f->ch_layout.nb_channels);
    } else {
        input_layout(d->codec, &in_layout);
    }
    int in_rate = f->sample_rate > 0 ? f->sample_rate : d->codec->sample_rate;
    if (d->swr && in_rate == d->swr_in_rate && f->format == d->swr_in_format &&
        av_channel_layout_compare(&in_layout, &d->swr_in_layout) == 0) {
        av_channel_layout_uninit(&in_layout);
        return 1;
    }
    if (in_rate <= 0) {
        av_channel_layout_uninit(&in_layout);
        set_error(err, MIEN_AUDIO_ERR_CORRUPT, "the audio stream declares no sample rate");
        return 0;
    }
    swr_free(&d->swr);
    AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;
    int r = swr_alloc_set_opts2(&d->swr, &mono, AV_SAMPLE_FMT_FLT, d->target_rate, &in_layout, f->format, in_rate,
                                0, NULL);
    if (r >= 0) {
        /* Normalise the down-mix so stereo becomes (L+R)/2 rather than a sum that can exceed full scale. */
        av_opt_set_double(d->swr, "rematrix_maxval", 1.0, 0);
        r = swr_init(d->swr);
    }
    if (r < 0) {
        char b[128];
        set_error(err, MIEN_AUDIO_ERR_UNSUPPORTED, "cannot convert this audio (%d Hz, %d channels): %s", in_rate,
                  in_layout.nb_channels, av_message(r, b, sizeof b));
        av_channel_layout_uninit(&in_layout);
        swr_free(&d->swr);
        return 0;
    }
    av_channel_layout_uninit(&d->swr_in_layout);
    d->swr_in_layout = in_layout;
    d->swr_in_rate = in_rate;
    d->swr_in_format = f->format;
    return 1;
}

static int ensure_pending(MienAudioDecoder *d, long n, MienAudioError *err) {
    if (n <= d->pending_cap) return 1;
    float *p = realloc(d->pending, (size_t)n * sizeof(float));
    if (!p) {
        set_error(err, MIEN_AUDIO_ERR_MEMORY, "out of memory for %ld samples", n);
        return 0;
    }
    d->pending = p;
    d->pending_cap = n;
    return 1;
}

/* Resamples `f` (or flushes the resampler when `f` is NULL) into `pending`. */
static int convert(MienAudioDecoder *d, const AVFrame *f, MienAudioError *err) {
    if (f && !configure_resampler(d, f, err)) return 0;
    if (!d->swr) { d->pending_len = d->pending_pos = 0; return 1; }
    int in_count = f ? f->nb_samples : 0;
    int bound = swr_get_out_samples(d->swr, in_count);
    if (bound < 0) bound = 0;
    if (!ensure_pending(d, bound + 32, err)) return 0;
    uint8_t *out[1] = {(uint8_t *)d->pending};
    int got = swr_convert(d->swr, out, bound + 32, f ? (const uint8_t **)f->extended_data : NULL, in_count);
    if (got < 0) {
        char b[128];
        set_error(err, MIEN_AUDIO_ERR_DECODE, "resampling failed: %s", av_message(got, b, sizeof b));
        return 0;
    }
    d->pending_len = got;
    d->pending_pos = 0;
    return 1;
}

/* Decodes until `pending` holds samples or the stream ends. Returns 1 on progress, 0 at the end, -1 on error. */
static int decode_more(MienAudioDecoder *d, MienAudioError *err) {
    for (;;) {
        int r = avcodec_receive_frame(d->codec, d->frame);
        if (r == 0) {
            int ok = convert(d, d->frame, err);
            av_frame_unref(d->frame);
            if (!ok) return -1;
            if (d->pending_len > 0) return 1;
            continue;
        }
        if (r == AVERROR_EOF) {
            if (!convert(d, NULL, err)) return -1;
            d->finished = 1;
            return d->pending_len > 0 ? 1 : 0;
        }
        if (r != AVERROR(EAGAIN)) {
            /* A frame the decoder rejects: skip it like a bad packet. */
            if (++d->bad_in_a_row > MIEN_MAX_CONSECUTIVE_BAD_PACKETS) {
                char b[128];
                set_error(err, MIEN_AUDIO_ERR_DECODE, "the audio data is damaged: %s", av_message(r, b, sizeof b));
                return -1;
            }
            d->skipped++;
            continue;
        }
        if (d->sent_flush) {  /* EAGAIN after flushing should not happen; treat as the end */
            d->finished = 1;
            return 0;
        }
        r = av_read_frame(d->fmt, d->packet);
        if (r < 0) {
            /* End of file, or a truncated tail: either way drain what the decoder holds. */
            avcodec_send_packet(d->codec, NULL);
            d->sent_flush = 1;
            continue;
        }
        if (d->packet->stream_index == d->stream_index) {
            int s = avcodec_send_packet(d->codec, d->packet);
            if (s < 0 && s != AVERROR(EAGAIN)) {
                d->skipped++;
                if (++d->bad_in_a_row > MIEN_MAX_CONSECUTIVE_BAD_PACKETS) {
                    char b[128];
                    set_error(err, MIEN_AUDIO_ERR_DECODE, "the audio data is damaged: %s",
                              av_message(s, b, sizeof b));
                    av_packet_unref(d->packet);
                    return -1;
                }
            } else {
                d->bad_in_a_row = 0;
            }
        }
        av_packet_unref(d->packet);
    }
}

MienAudioDecoder *mien_audio_open(const char *path, int target_rate, MienAudioError *err) {
    if (err) { err->code = MIEN_AUDIO_OK; err->message[0] = 0; }
    if (!path || target_rate < 1000 || target_rate > 384000) {
        set_error(err, MIEN_AUDIO_ERR_ARGUMENT, "invalid path or sample rate %d", target_rate);
        return NULL;
    }
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR) set_error(err, MIEN_AUDIO_ERR_NOT_FOUND, "no such file");
        else set_error(err, MIEN_AUDIO_ERR_UNREADABLE, "%s", strerror(errno));
        return NULL;
    }
    if (S_ISDIR(st.st_mode)) {
        set_error(err, MIEN_AUDIO_ERR_UNREADABLE, "is a directory");
        return NULL;
    }
    if (S_ISREG(st.st_mode) && st.st_size == 0) {
        set_error(err, MIEN_AUDIO_ERR_EMPTY, "the file is empty (0 bytes)");
        return NULL;
    }
    av_log_set_level(AV_LOG_QUIET);  /* errors come back through MienAudioError, not stderr */

    MienAudioDecoder *d = calloc(1, sizeof *d);
    if (!d) { set_error(err, MIEN_AUDIO_ERR_MEMORY, "out of memory"); return NULL; }
    d->target_rate = target_rate;
    d->stream_index = -1;
    char b[128];
    int r = avformat_open_input(&d->fmt, path, NULL, NULL);
    if (r < 0) {
        if (r == AVERROR(EACCES) || r == AVERROR(EIO)) set_error(err, MIEN_AUDIO_ERR_UNREADABLE, "%s", av_message(r, b, sizeof b));
        else set_error(err, MIEN_AUDIO_ERR_CORRUPT, "not a media file FFmpeg recognises, or its header is damaged (%s)",
                       av_message(r, b, sizeof b));
        goto fail;
    }
    r = avformat_find_stream_info(d->fmt, NULL);
    if (r < 0) {
        set_error(err, MIEN_AUDIO_ERR_CORRUPT, "the stream headers cannot be read (%s)", av_message(r, b, sizeof b));
        goto fail;
    }
    const AVCodec *decoder = NULL;
    r = av_find_best_stream(d->fmt, AVMEDIA_TYPE_AUDIO, -1, -1, &decoder, 0);
    if (r == AVERROR_STREAM_NOT_FOUND) {
        set_error(err, MIEN_AUDIO_ERR_NO_AUDIO, "the file has no audio track (%u stream%s, none audio)",
                  d->fmt->nb_streams, d->fmt->nb_streams == 1 ? "" : "s");
        goto fail;
    }
    if (r == AVERROR_DECODER_NOT_FOUND || (r >= 0 && !decoder)) {
        int idx = av_find_best_stream(d->fmt, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0);
        const char *name = idx >= 0 ? avcodec_get_name(d->fmt->streams[idx]->codecpar->codec_id) : "unknown";
        set_error(err, MIEN_AUDIO_ERR_UNSUPPORTED, "the audio codec '%s' is not supported by this FFmpeg build", name);
        goto fail;
    }
    if (r < 0) {
        set_error(err, MIEN_AUDIO_ERR_CORRUPT, "no usable audio stream (%s)", av_message(r, b, sizeof b));
        goto fail;
    }
    d->stream_index = r;
    AVStream *stream = d->fmt->streams[r];
    d->codec = avcodec_alloc_context3(decoder);
    if (!d->codec) { set_error(err, MIEN_AUDIO_ERR_MEMORY, "out of memory"); goto fail; }
    r = avcodec_parameters_to_context(d->codec, stream->codecpar);
    if (r >= 0) {
        d->codec->thread_count = 1;  /* audio decoding is cheap; one core keeps benchmarks honest */
        r = avcodec_open2(d->codec, decoder, NULL);
    }
    if (r < 0) {
        set_error(err, MIEN_AUDIO_ERR_UNSUPPORTED, "cannot open the '%s' decoder (%s)", decoder->name,
                  av_message(r, b, sizeof b));
        goto fail;
    }
    d->packet = av_packet_alloc();
    d->frame = av_frame_alloc();
    if (!d->packet || !d->frame) { set_error(err, MIEN_AUDIO_ERR_MEMORY, "out of memory"); goto fail; }

    d->info.source_rate = d->codec->sample_rate;
    d->info.source_channels = d->codec->ch_layout.nb_channels;
    d->info.duration_s = d->fmt->duration != AV_NOPTS_VALUE ? (double)d->fmt->duration / AV_TIME_BASE : -1;
    snprintf(d->info.codec, sizeof d->info.codec, "%s", decoder->name);
    const char *cname = d->fmt->iformat && d->fmt->iformat->name ? d->fmt->iformat->name : "unknown";
    size_t n = strcspn(cname, ",");
    snprintf(d->info.container, sizeof d->info.container, "%.*s", (int)n, cname);
    return d;

fail:
    mien_audio_close(d);
    return NULL;
}

long mien_audio_read(MienAudioDecoder *d, float *out, long capacity, MienAudioError *err) {
    if (err) { err->code = MIEN_AUDIO_OK; err->message[0] = 0; }
    if (!d || !out || capacity < 0) {
        set_error(err, MIEN_AUDIO_ERR_ARGUMENT, "invalid arguments");
        return -1;
    }
    long written = 0;
    while (written < capacity) {
        if (d->pending_pos < d->pending_len) {
            long n = d->pending_len - d->pending_pos;
            if (n > capacity - written) n = capacity - written;
            memcpy(out + written, d->pending + d->pending_pos, (size_t)n * sizeof(float));
            d->pending_pos += n;
            written += n;
            continue;
        }
        if (d->finished) break;
        int r = decode_more(d, err);
        if (r < 0) return written > 0 ? written : -1;  /* hand over what we have; the error repeats next call */
        if (r == 0) break;
    }
    return written;
}

void mien_audio_info(const MienAudioDecoder *d, MienAudioInfo *info) {
    if (d && info) *info = d->info;
}

long mien_audio_skipped_packets(const MienAudioDecoder *d) { return d ? d->skipped : 0; }

void mien_audio_close(MienAudioDecoder *d) {
    if (!d) return;
    swr_free(&d->swr);
    av_channel_layout_uninit(&d->swr_in_layout);
    av_frame_free(&d->frame);
    av_packet_free(&d->packet);
    avcodec_free_context(&d->codec);
    avformat_close_input(&d->fmt);
    free(d->pending);
    free(d);
}
