# Abhra: the two set-up commands are `make run` and `make test`.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
ifeq ($(CI),true)
CMAKE_FLAGS += -DABHRA_WERROR=ON
endif

.PHONY: all deps build test run bench clean format test-sanitize fuzz

all: build

deps:
	@bash cmake/install_deps.sh all

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja $(CMAKE_FLAGS)

build: $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

# make test ends with a short fuzz run: fuzz_smoke builds the libFuzzer targets with clang
# (ASan+UBSan, $(BUILD_DIR)-fuzz) and runs each for 5 s. `make fuzz` runs them longer.
test: deps build
	ctest --test-dir $(BUILD_DIR) -j $(JOBS) --output-on-failure --timeout 900 -LE fuzz
	ctest --test-dir $(BUILD_DIR) --output-on-failure --timeout 1800 -L fuzz

fuzz: deps
	bash tests/fuzz/run_fuzz.sh $(or $(FUZZ_SECONDS),10)

run: deps build
	@bash tests/demo/run_demo.sh $(BUILD_DIR)

bench: deps build
	@bash bench/run_bench.sh $(BUILD_DIR)

test-sanitize: deps
	cmake -S . -B $(BUILD_DIR)-sanitize -G Ninja -DABHRA_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug $(CMAKE_FLAGS)
	cmake --build $(BUILD_DIR)-sanitize -j $(JOBS)
	ctest --test-dir $(BUILD_DIR)-sanitize -j $(JOBS) --output-on-failure --timeout 1800 -LE fuzz

format:
	git ls-files '*.cc' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR) $(BUILD_DIR)-sanitize
