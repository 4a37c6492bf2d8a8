#ifndef MIEN_AUDIO_H
#define MIEN_AUDIO_H
/* Placeholder: the voice issue fills this in. */
int mien_audio_version(void);
#endif
