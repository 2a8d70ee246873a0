# Kaiwu — the two commands: `make run` and `make test`. Everything else is a helper.
SAN ?= 0
BUILD_TYPE ?= RelWithDebInfo
ifeq ($(SAN),1)
BUILD_DIR ?= build-san
CMAKE_FLAGS += -DKAIWU_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
else
BUILD_DIR ?= build
CMAKE_FLAGS += -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)
endif
JOBS ?= $(shell nproc)
DATA ?= ./kaiwu-data

.PHONY: all deps configure build web test run bench fuzz lifetime clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja $(CMAKE_FLAGS)

configure: deps $(BUILD_DIR)/build.ninja

build: configure web
	cmake --build $(BUILD_DIR) -j $(JOBS)

# The web console (web/, served by `kaiwu serve` at /): `npm ci` when the lock file is newer than
# node_modules, `vite build` only when a source changed (a no-op otherwise).
WEB_SOURCES := $(shell find web/src web/public -path web/src/test -prune -o -type f -print 2>/dev/null) \
  web/index.html web/package.json web/vite.config.ts web/tsconfig.json
web/node_modules/.package-lock.json: web/package-lock.json
	cd web && npm ci --no-audit --no-fund

web/dist/index.html: web/node_modules/.package-lock.json $(WEB_SOURCES)
	cd web && npm run build
	@touch $@

web: web/dist/index.html

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 600

run: build
	$(BUILD_DIR)/kaiwu demo --data $(DATA)

bench: build
	bench/run.sh $(BUILD_DIR)

# Coverage-guided fuzzing of every decoder for FUZZ_SECONDS each (needs clang-16: apt-get install
# clang-16 libclang-rt-16-dev). `make test` only replays the seed corpora.
FUZZ_SECONDS ?= 60
fuzz: deps
	tests/fuzz/build_libfuzzer.sh build-fuzz
	for t in chunk mqtt telemetry_json line_protocol modbus dlt645 hj212 opcua bus_codec model_expr cluster; do mkdir -p build-fuzz/corpus-$$t; \
	  build-fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) build-fuzz/corpus-$$t tests/fuzz/corpus/$$t || exit 1; done

# clang -Wdangling over src/ (string_view/span bound to a temporary); needs clang-19.
lifetime: $(BUILD_DIR)/build.ninja
	scripts/lifetime-check.sh $(BUILD_DIR)

clean:
	rm -rf build build-san build-fuzz web/dist
