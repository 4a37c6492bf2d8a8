#include "mien_audio.h"
int mien_audio_version(void) { return 1; }
