// Must NOT compile: without zlib the .npz reader is absent, and the error names the package.
#define PREDSENSE_NO_ZLIB 1
#include "predsense/io/npz.hpp"

int main() { return 0; }
