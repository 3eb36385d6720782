// Must NOT compile: without FFmpeg's libraries (the target predsense::ffmpeg) the frame source is
// absent, and the error names the packages.
#include "predsense/ffmpeg/frame_source.hpp"

int main() { return 0; }
