// Must NOT compile: without nlohmann-json memory checkpoints are absent, and the error names the
// package.
#define PREDSENSE_NO_NLOHMANN_JSON 1
#include "predsense/memory/memory_checkpoint.hpp"

int main() { return 0; }
