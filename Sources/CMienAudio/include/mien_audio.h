#ifndef MIEN_AUDIO_H
#define MIEN_AUDIO_H

/* Mien's audio decoder: any file FFmpeg reads (WAV, FLAC, OGG, MP3, the soundtrack of a video) as mono float
 * samples at a chosen rate, pulled in chunks so memory stays bounded whatever the file's length.
 * Plain C: an opaque handle, an error code plus message on every call that can fail. Nothing crashes on bad input. */

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    MIEN_AUDIO_OK = 0,
    MIEN_AUDIO_ERR_NOT_FOUND = 1,      /* no such file */
    MIEN_AUDIO_ERR_EMPTY = 2,          /* 0-byte file */
    MIEN_AUDIO_ERR_UNREADABLE = 3,     /* permission or I/O error */
    MIEN_AUDIO_ERR_CORRUPT = 4,        /* container header damaged or not a media file */
    MIEN_AUDIO_ERR_NO_AUDIO = 5,       /* a media file without an audio stream (e.g. a silent video) */
    MIEN_AUDIO_ERR_UNSUPPORTED = 6,    /* audio stream whose codec this FFmpeg cannot decode */
    MIEN_AUDIO_ERR_DECODE = 7,         /* decoding failed beyond recovery mid-stream */
    MIEN_AUDIO_ERR_MEMORY = 8,
    MIEN_AUDIO_ERR_ARGUMENT = 9
} MienAudioStatus;

typedef struct {
    int code;            /* MienAudioStatus */
    char message[256];
} MienAudioError;

typedef struct {
    int source_rate;          /* Hz of the stream as stored */
    int source_channels;
    double duration_s;        /* container's claim; < 0 when unknown */
    char codec[32];           /* e.g. "flac", "mp3" */
    char container[32];       /* e.g. "flac", "mov,mp4,m4a,3gp,3g2,mj2" (first name only) */
} MienAudioInfo;

typedef struct MienAudioDecoder MienAudioDecoder;

/* Opens `path`, picks its best audio stream and prepares resampling to mono float at `target_rate` Hz.
 * Returns NULL and fills `err` on failure. */
MienAudioDecoder *mien_audio_open(const char *path, int target_rate, MienAudioError *err);

/* Fills `out` with up to `capacity` samples. Returns the count written (0 at the end of the stream), or -1 with
 * `err` filled. A damaged packet in the middle is skipped (counted in `mien_audio_skipped_packets`). */
long mien_audio_read(MienAudioDecoder *dec, float *out, long capacity, MienAudioError *err);

void mien_audio_info(const MienAudioDecoder *dec, MienAudioInfo *info);
long mien_audio_skipped_packets(const MienAudioDecoder *dec);
void mien_audio_close(MienAudioDecoder *dec);

#ifdef __cplusplus
}
#endif
#endif
