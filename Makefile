# predsense: `make demo` and `make test` are all a new user needs (README).
BUILD    ?= build
JOBS     ?= $(shell nproc)
CMAKE_FLAGS ?=
export OMP_NUM_THREADS ?= 1

.PHONY: all configure build test demo bench fuzz clang clean sanitize format format-check wheel wheel-test

all: build

deps-%:
	@bash scripts/install-deps.sh $*

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

configure: $(BUILD)/CMakeCache.txt

build: deps-build configure
	cmake --build $(BUILD) -j $(JOBS)

test: deps-test configure
	cmake --build $(BUILD) -j $(JOBS)
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# make demo: a generated tour video (procedurally drawn scenes, hard cuts) through predsense-video;
# make demo VIDEO=path/to/video: your file instead. Writes $(BUILD)/demo/{surprise,sheet}.png + result.json.
VIDEO ?=
DEMO_DIR := $(BUILD)/demo
DEMO_FLAGS ?=

$(DEMO_DIR)/tour.mp4: scripts/make_tour_video.sh
	bash scripts/make_tour_video.sh $@

demo: deps-demo configure
	cmake --build $(BUILD) -j $(JOBS) --target predsense-video
	@mkdir -p $(DEMO_DIR)
	@if [ -z "$(VIDEO)" ]; then $(MAKE) --no-print-directory $(DEMO_DIR)/tour.mp4 && \
	  echo "true cuts (first frame of each new scene): $$(tr '\n' ' ' < $(DEMO_DIR)/tour.mp4.cuts)"; fi
	$(BUILD)/bin/predsense-video "$(if $(VIDEO),$(VIDEO),$(DEMO_DIR)/tour.mp4)" $(DEMO_FLAGS) \
	  --json $(DEMO_DIR)/result.json --plot $(DEMO_DIR)/surprise.png --sheet $(DEMO_DIR)/sheet.png

bench: deps-bench configure
	cmake --build $(BUILD) -j $(JOBS)
	/usr/bin/python3 benchmarks/run_bench.py --build $(BUILD)
	/usr/bin/python3 benchmarks/bench_corpus.py --build $(BUILD)
	@# predsense-video against ffmpeg's scene filter (benchmarks/video_speed.py), on the video dev set when
	@# scripts/video_devset.sh has generated it
	if [ -f $(BUILD)/video-devset-2511/complete ]; then /usr/bin/python3 benchmarks/video_speed.py \
	  $(BUILD)/video-devset-2511 --tool $(BUILD)/bin/predsense-video --breakdown; \
	else echo "bench: no $(BUILD)/video-devset-2511 (bash scripts/video_devset.sh $(BUILD) 2511 builtin): video_speed.py skipped"; fi

# make wheel: the wheel a pip user installs - the Python package, its extension (portable: one build per
# x86-64 level, python/CMakeLists.txt) and every command-line tool - built offline from Debian packages
# into $(BUILD)/wheel/. The CMake tree stays in $(BUILD)/wheel-cmake, so a rebuild compiles only what
# changed. WHEEL_NATIVE=1: one -march=native build instead (this CPU only).
WHEEL_DIR := $(abspath $(BUILD))/wheel
WHEEL_NATIVE ?= 0
wheel: deps-wheel
	rm -f $(WHEEL_DIR)/predsense-*.whl
	PREDSENSE_NATIVE=$(WHEEL_NATIVE) PREDSENSE_BUILD_JOBS=$(JOBS) PREDSENSE_CMAKE_BUILD_DIR=$(abspath $(BUILD))/wheel-cmake \
	  /usr/bin/python3 -m pip wheel --no-build-isolation --no-deps --no-index -w $(WHEEL_DIR) ./python
	@ls -l $(WHEEL_DIR)/predsense-*.whl

# make wheel-test: that wheel in a fresh venv, run from outside the source tree (tests/wheel/run.sh):
# the README's Python example, every tool's --help, predsense-corpus over two generated videos and the
# Python tests. Minutes (the portable build alone is several), so it is not part of make test.
wheel-test: wheel deps-test
	bash tests/wheel/run.sh $(WHEEL_DIR)

# Formatting: .clang-format over every tracked C++ file; CI runs format-check first (seconds).
CLANG_FORMAT ?= clang-format-14
FORMAT_FILES = $(shell git ls-files '*.hpp' '*.cpp' '*.h' '*.cc')

format: deps-format
	$(CLANG_FORMAT) -i $(FORMAT_FILES)

format-check: deps-format
	@$(CLANG_FORMAT) --dry-run --Werror $(FORMAT_FILES) && echo "format-check: $(words $(FORMAT_FILES)) files formatted"

# libFuzzer targets (clang), FUZZ_TIME seconds each (default 60).
fuzz: deps-fuzz
	bash fuzz/run.sh $(BUILD)-fuzz

# ASan + UBSan build of the C++ tests, the tools and the Python extension in $(BUILD)-sanitize: the
# doctest suites, then the hostile-input corpora - tests/hostile/hostile_corpus.py (bad inputs over
# every tool, each with its expected exit code, inputs untouched, nothing left behind) and
# tests/hostile/python_corpus.py (bad inputs over the Python API, each with its expected exception,
# run by /usr/bin/python3 with the sanitizer runtime preloaded). Any sanitizer report fails it. Only
# the test_* executables, the corpus's tools and one _core module (-march=native, no SIMD dispatch,
# in $(BUILD)-sanitize/python/predsense, never over the normal Python build) are built; header checks
# and examples add nothing here. IPO off: pybind11 would add -flto to the module in Release.
# -Werror is off here only: GCC 12 warns falsely inside its own AVX-512 intrinsics under -O1 + ASan
# (the Release build keeps -Werror).
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SAN_TOOLS := predsense-memory-replay predsense-memory-recall predsense-predictor-eval predsense-vsc \
             predsense-tcpd predsense-lfp predsense-video
SAN_TESTS := $(basename $(notdir $(wildcard tests/test_*.cpp)))
# Ninja: it builds the listed targets in parallel (CMake's Makefiles build them one after another).
sanitize: deps-test
	cmake -S . -B $(BUILD)-sanitize -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O1" \
	  -DPREDSENSE_WERROR=OFF -DPREDSENSE_BUILD_PYTHON=ON -DPREDSENSE_PY_DISPATCH=OFF -DPREDSENSE_BUILD_BENCHMARKS=OFF \
	  -DCMAKE_INTERPROCEDURAL_OPTIMIZATION=OFF -DCMAKE_CXX_FLAGS="$(SAN_FLAGS)" \
	  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
	  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" \
	  -DCMAKE_MODULE_LINKER_FLAGS="-fsanitize=address,undefined" $(CMAKE_FLAGS)
	cmake --build $(BUILD)-sanitize -j $(JOBS) --target $(SAN_TOOLS) $(SAN_TESTS) _core
	cd $(BUILD)-sanitize && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/hostile/lsan.supp \
	  ctest --output-on-failure -j $(JOBS) -R '^test_'
	/usr/bin/python3 tests/hostile/hostile_corpus.py --build $(BUILD)-sanitize --summary $(BUILD)-sanitize/hostile_tools.json
	/usr/bin/python3 tests/hostile/python_corpus.py --pythonpath $(BUILD)-sanitize/python \
	  --preload "$$(g++ -print-file-name=libasan.so) $$(g++ -print-file-name=libstdc++.so)" \
	  --tools-summary $(BUILD)-sanitize/hostile_tools.json

# Same suite under clang++ 14 in its own tree.
clang: deps-test
	cmake -S . -B $(BUILD)-clang -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=clang++-14 $(CMAKE_FLAGS)
	cmake --build $(BUILD)-clang -j $(JOBS)
	cd $(BUILD)-clang && ctest --output-on-failure -j $(JOBS)

clean:
	rm -rf $(BUILD) $(BUILD)-clang $(BUILD)-sanitize python/build python/predsense.egg-info
