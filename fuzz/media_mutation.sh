#!/usr/bin/env bash
# Mutation fuzzing of the system decoders behind the release binary: OpenCV's image codecs (libjpeg, libpng, libwebp,
# BMP, libtiff) through `mien analyze`, OpenCV/FFmpeg's video demuxers and decoders through `mien video`, FFmpeg's
# audio through `mien voice`. Seeds: the test fixtures and the sample video, plus encodings made here with ffmpeg
# (palette and 16-bit PNG, lossless WebP, 8-bit and 16-bit BMP, LZW/PackBits/Deflate TIFF; H.264/MP4, VP8/WebM,
# MJPEG/AVI, MPEG-4/MOV; WAV, FLAC, Ogg Vorbis, MP3). Each mutated file runs under a per-process address-space limit
# and a time limit (fuzz/media_mutation.py says how, and what counts as a crash, a hang or an untyped ending).
#
#   fuzz/media_mutation.sh [IMAGES_PER_FORMAT=1500] [VIDEOS=1250] [AUDIO=1250] [CLASSES=jpeg,png,webp,bmp,tiff,video,audio]
#
# MIEN: the binary (default .build/release/mien, built if missing); MEM_KB: address-space limit per process (default
# 2 GiB); WORK: the output folder (default out/fuzz-media, emptied first); BATCH, SINGLE, IMAGE_LIMIT_S,
# MEDIA_LIMIT_S: see fuzz/media_mutation.py. Exit 1 if any run crashed, hung or
# ended without a typed error. Results: out/fuzz-media/summary.json; failing inputs kept in out/fuzz-media/failures.
set -euo pipefail
cd "$(dirname "$0")/.."
export MIEN="${MIEN:-.build/release/mien}"
[ -x "$MIEN" ] || swift build -c release --product mien >/dev/null
export WORK="${WORK:-out/fuzz-media}"
rm -rf "$WORK" && mkdir -p "$WORK/seeds"
export MIEN_HOME="$WORK/home"
s="$WORK/seeds" img=Tests/Fixtures/images video=Samples/pexels_wolfgang_langer_3063838_expressions.mp4
cp "$img"/*.{jpg,png,webp,bmp,tiff} "$s/"
rm -f "$s/one_pixel.png"   # too small to hold a face: refused before decoding, so it exercises nothing
q() { ffmpeg -v error -y "$@"; }
q -i "$img/bench_640x480.jpg" -vf scale=320:240 -pix_fmt pal8 "$s/bench_pal8.png"
q -i "$img/bench_640x480.jpg" -vf scale=320:240 -pix_fmt rgb48be "$s/bench_rgb48.png"
q -i "$img/bench_640x480.jpg" -vf scale=320:240 -pix_fmt yuvj444p -q:v 3 "$s/bench_444.jpg"
q -i "$img/bench_640x480.jpg" -vf scale=320:240 -lossless 1 "$s/bench_lossless.webp"
q -i "$img/bench_640x480.jpg" -vf scale=320:240 -pix_fmt pal8 "$s/bench_pal8.bmp"
q -i "$img/bench_640x480.jpg" -vf scale=320:240 -pix_fmt rgb555le "$s/bench_rgb555.bmp"
for c in lzw packbits deflate; do q -i "$img/bench_640x480.jpg" -vf scale=320:240 -compression_algo $c "$s/bench_$c.tiff"; done
q -ss 12 -t 1.5 -i "$video" -c:v libx264 -preset veryfast -c:a aac "$s/clip.mp4"
q -ss 12 -t 1.5 -i "$video" -c:v libvpx -b:v 300k -c:a libvorbis "$s/clip.webm"
q -ss 12 -t 1.5 -i "$video" -vf scale=320:180 -c:v mjpeg -q:v 5 -an "$s/clip.avi"
q -ss 12 -t 1.5 -i "$video" -vf scale=320:180 -c:v mpeg4 -c:a pcm_s16le "$s/clip.mov"
q -ss 2 -t 3 -i "$video" -vn -ar 16000 -ac 1 "$s/speech.wav"
q -f lavfi -i "sine=frequency=220:duration=2" -ar 16000 "$s/tone.wav"
q -i "$s/speech.wav" "$s/speech.flac"
q -i "$s/speech.wav" -c:a libvorbis "$s/speech.ogg"
q -i "$s/speech.wav" -c:a libmp3lame "$s/speech.mp3"
exec python3 fuzz/media_mutation.py "$s" "${1:-1500}" "${2:-1250}" "${3:-1250}" ${4:+"$4"}
