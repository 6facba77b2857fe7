# bosun: build, test, demo and benchmarks. `make test` is what CI runs (.ci/run).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

SWIFT ?= swift
# Where SwiftPM builds; engineers working in parallel pass their own (SCRATCH=.build-me).
SCRATCH ?= .build
SWIFT_FLAGS := --scratch-path $(SCRATCH)
VENV := .venv
PYTHON := $(VENV)/bin/python
# The last 1.x release of the official MCP Python SDK cannot share a venv with 2.x (in .venv):
# its client test runs from a venv of its own.
VENV_MCP1 := .venv-mcp1

# System packages: what the build links against, and what tests use when present.
APT_BUILD_PACKAGES := libcurl4-openssl-dev libsqlite3-dev
# bubblewrap: the run_command and search sandbox; ripgrep: what search runs; chromium:
# rendering the trace timeline page; neovim: the headless tests of the Neovim plugin in
# clients/nvim; tmux: a terminal for the `bosun top` tests.
APT_TEST_PACKAGES := bubblewrap ripgrep chromium neovim tmux

.PHONY: build release install uninstall build-commit test demo bench chaos stress fuzz fuzz-short fuzz-ci apt-build-deps apt-test-deps venv venv-mcp1 swift-test python-test schema-test-suite clean

# The official JSON Schema Test Suite, whose draft 2020-12 cases the schema validator is run
# against (SchemaTestSuiteTests prints its table). Debian's json-schema-test-suite stops at
# draft 7; the jsonschema source distribution on PyPI carries the whole suite (json/tests/).
SCHEMA_SUITE_VERSION := 4.26.0
SCHEMA_SUITE := .schema-test-suite

build: apt-build-deps build-commit
	$(SWIFT) build $(SWIFT_FLAGS)

# The commit `bosun --version` names, as a source file git ignores (see Sources/bosun/BuildInfo.swift).
# Rewritten only when the commit changed, so an unchanged tree rebuilds nothing; outside a git
# checkout the file is removed and the binary says the package version alone.
BUILD_COMMIT_FILE := Sources/bosun/BuildCommit.generated.swift
build-commit:
	@commit=$$(git rev-parse --short=12 HEAD 2>/dev/null) || commit=""; \
	if [ -z "$$commit" ]; then rm -f $(BUILD_COMMIT_FILE); exit 0; fi; \
	git diff --quiet HEAD -- 2>/dev/null || commit="$$commit-dirty"; \
	text=$$(printf '%s\n' "// Written by make build-commit; ignored by git." \
		"extension BuildInfo { static var commit: String? { \"$$commit\" } }"); \
	[ "$$(cat $(BUILD_COMMIT_FILE) 2>/dev/null)" = "$$text" ] || printf '%s\n' "$$text" > $(BUILD_COMMIT_FILE)

# Tests run one at a time: many start real processes and servers, and on a 2-core CI
# machine running them all at once starves the ones that check deadlines.
# The build also checks that every module imports only what Package.swift declares for it.
test: apt-build-deps apt-test-deps venv venv-mcp1 schema-test-suite build-commit
	$(SWIFT) build $(SWIFT_FLAGS) --build-tests --explicit-target-dependency-import-check error
	$(SWIFT) test $(SWIFT_FLAGS) --skip-build --no-parallel
	$(MAKE) --no-print-directory python-test
	$(MAKE) --no-print-directory fuzz-ci
# `make test` fuzzes each target briefly from a fixed seed (fuzz-ci); FuzzRegressionTests
# replays every input that ever failed; `make fuzz-short` and `make fuzz` hunt for new ones.

# pytest exits 5 when it collects no tests; that is not a failure. test_mcp_sdk1.py skips
# itself in .venv (SDK 2.x) and runs from .venv-mcp1 (SDK 1.x).
python-test: venv venv-mcp1
	BOSUN_BIN="$$($(SWIFT) build $(SWIFT_FLAGS) --show-bin-path)/bosun" \
		$(PYTHON) -m pytest -q Tests/python || { code=$$?; [ $$code -eq 5 ] || exit $$code; }
	BOSUN_BIN="$$($(SWIFT) build $(SWIFT_FLAGS) --show-bin-path)/bosun" \
		$(VENV_MCP1)/bin/python -m pytest -q Tests/python/test_mcp_sdk1.py

demo: build
	python3 clients/examples/demo.py --bosun "$$($(SWIFT) build $(SWIFT_FLAGS) --show-bin-path)/bosun" --keep .demo

# The binary to install: optimised, with the Swift runtime and Foundation linked in, so it
# runs on any machine with libcurl4 and libsqlite3 and starts faster in less memory.
# Concrete generic types (Operation<SpawnParams, Worker>, an @Option of Logger.Level, …) are
# reached through their metadata accessors, not by mangled name: by name, the runtime checks
# each generic requirement by scanning every protocol conformance in the binary (tens of
# thousands, with the runtime and Foundation linked in), which cost `bosun serve` milliseconds
# of its start (bench/RESULTS-server.md).
RELEASE_FLAGS := --static-swift-stdlib -Xswiftc -Xfrontend -Xswiftc -disable-concrete-type-metadata-mangled-name-accessors
release: apt-build-deps build-commit
	$(SWIFT) build $(SWIFT_FLAGS) -c release $(RELEASE_FLAGS) --product bosun
	@echo "built $$($(SWIFT) build $(SWIFT_FLAGS) -c release --show-bin-path)/bosun"

# Installs the release binary, shell completions (bash, zsh, fish: the binary writes them) and
# a man page made from its --help texts (packaging/manpage.py) under $(DESTDIR)$(PREFIX).
# INSTALL_BINARY installs that binary instead and skips the release build (minutes): the
# install test passes the debug binary.
PREFIX ?= /usr/local
DESTDIR ?=
INSTALL_BINARY ?=
INSTALL_DIRS = bin share/man/man1 share/bash-completion/completions share/zsh/site-functions share/fish/vendor_completions.d
install: $(if $(INSTALL_BINARY),,release)
	@BIN="$(INSTALL_BINARY)"; [ -n "$$BIN" ] || BIN="$$($(SWIFT) build $(SWIFT_FLAGS) -c release --show-bin-path)/bosun"; \
	root="$(DESTDIR)$(PREFIX)"; \
	for dir in $(INSTALL_DIRS); do install -d "$$root/$$dir"; done; \
	install -m 755 "$$BIN" "$$root/bin/bosun"; \
	"$$BIN" --generate-completion-script bash > "$$root/share/bash-completion/completions/bosun"; \
	"$$BIN" --generate-completion-script zsh > "$$root/share/zsh/site-functions/_bosun"; \
	"$$BIN" --generate-completion-script fish > "$$root/share/fish/vendor_completions.d/bosun.fish"; \
	python3 packaging/manpage.py "$$BIN" > "$$root/share/man/man1/bosun.1"; \
	echo "installed $$("$$root/bin/bosun" --version) in $$root"

uninstall:
	rm -f "$(DESTDIR)$(PREFIX)/bin/bosun" "$(DESTDIR)$(PREFIX)/share/man/man1/bosun.1" \
		"$(DESTDIR)$(PREFIX)/share/bash-completion/completions/bosun" "$(DESTDIR)$(PREFIX)/share/zsh/site-functions/_bosun" \
		"$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/bosun.fish"

# Every benchmark, against the release binary; figures go to bench/RESULTS*.md. The peer
# comparison installs the OpenAI Agents SDK from PyPI into bench/.venv-peer on first use;
# the MCP comparison runs the official MCP Python SDK's server from .venv.
bench: release venv
	BIN="$$($(SWIFT) build $(SWIFT_FLAGS) -c release --show-bin-path)/bosun"; \
		python3 bench/server_startup.py "$$BIN"; \
		python3 bench/server_throughput.py "$$BIN"; \
		python3 bench/python_client_bench.py "$$BIN"; \
		python3 bench/status_many_workers.py "$$BIN"; \
		python3 bench/orchestration_bench.py --bosun "$$BIN"; \
		python3 bench/peer_compare.py "$$BIN" --runs 3; \
		python3 bench/mcp_compare.py "$$BIN" --peer-python $(PYTHON); \
		python3 bench/tools_sandbox_bench.py; \
		python3 bench/pathological_search_bench.py "$$BIN"
	bash bench/providers_bench.sh
	python3 bench/store_bench.py 3

# The reliability proof (RELIABILITY.md). chaos: 20 kill -9 rounds of one session (`make
# test` runs 3, in Tests/python/test_chaos.py). stress: the orchestration under load, against
# the release binary, since it also records memory and latency. Each part prints its figures.
chaos: build
	python3 Tests/reliability/chaos.py --rounds 20 --bosun "$$($(SWIFT) build $(SWIFT_FLAGS) --show-bin-path)/bosun"

stress: release
	BIN="$$($(SWIFT) build $(SWIFT_FLAGS) -c release --show-bin-path)/bosun"; \
		python3 Tests/reliability/stress.py --bosun "$$BIN"; \
		python3 Tests/reliability/flood.py "$$BIN"
	# Symlink-swap races against read_file, write_file and search: 10,000 attempts each (make test: 2,000, 200 searches).
	BOSUN_RACE_ATTEMPTS=10000 BOSUN_RACE_SEARCH_ATTEMPTS=10000 $(SWIFT) test $(SWIFT_FLAGS) --filter SymlinkRaceTests

# Fuzzing with libFuzzer: `bosun-fuzz` built with -sanitize=fuzzer in its own scratch path.
# `make fuzz` runs each target for FUZZ_RUNS inputs on an optimised build (many times the
# inputs per second; preconditions still stop it; testing enabled, since the checks reach
# internal parsers with @testable import). `make fuzz-short` runs each for FUZZ_SHORT_SECONDS on a
# debug build, which compiles faster. Each starts from Tests/FuzzCorpus/<target> (seeds and
# every input that ever failed) and keeps what it learns in .fuzz/corpus; a failing input is
# saved as .fuzz/crashes/<target>-…: fix the bug, then add the input to
# Tests/FuzzCorpus/<target>/ as regression-<what-it-found>; FuzzRegressionTests replays it.
FUZZ_SCRATCH ?= .build-fuzz
FUZZ_TARGETS := frame-decoder json-parser params config-yaml
FUZZ_RUNS ?= 1000000
FUZZ_SHORT_SECONDS ?= 5
FUZZ_BUILD = $(SWIFT) build --scratch-path $(FUZZ_SCRATCH) -Xswiftc -sanitize=fuzzer --product bosun-fuzz

fuzz: apt-build-deps
	$(FUZZ_BUILD) -c release -Xswiftc -enable-testing
	@$(call run_fuzzers,release,-runs=$(FUZZ_RUNS))

fuzz-short: apt-build-deps
	$(FUZZ_BUILD) -c debug
	@$(call run_fuzzers,debug,-max_total_time=$(FUZZ_SHORT_SECONDS))

# The short fuzzing of `make test`: each target for FUZZ_CI_RUNS inputs on the debug build,
# from a fixed seed, with Swift's hashing made deterministic and a fresh corpus of the seeds
# and every input that ever failed. Runs try nearly the same inputs (coverage differs by a few
# edges from run to run), and none of them failed in 1,000,000 per target (`make fuzz`), so a
# failure here is a bug a change brought in: its input is kept in .fuzz/crashes.
FUZZ_CI_RUNS ?= 20000
fuzz-ci: apt-build-deps
	$(FUZZ_BUILD) -c debug
	@BIN="$$($(SWIFT) build --scratch-path $(FUZZ_SCRATCH) -c debug --show-bin-path)/bosun-fuzz"; \
	mkdir -p .fuzz/crashes; \
	for target in $(FUZZ_TARGETS); do \
		corpus=$$(mktemp -d); \
		SWIFT_DETERMINISTIC_HASHING=1 SWIFT_BACKTRACE=enable=no "$$BIN" $$target -seed=1 -runs=$(FUZZ_CI_RUNS) \
			-max_len=4096 -print_final_stats=1 -artifact_prefix=.fuzz/crashes/$$target- \
			$$corpus Tests/FuzzCorpus/$$target > .fuzz/$$target-ci.log 2>&1 \
			|| { tail -40 .fuzz/$$target-ci.log; rm -rf $$corpus; exit 1; }; \
		rm -rf $$corpus; \
		echo "fuzz $$target: $$(grep -E '^stat::number_of_executed_units' .fuzz/$$target-ci.log | grep -oE '[0-9]+$$') inputs, seed 1, no failure"; \
	done

apt-build-deps:
	@$(call apt_install,$(APT_BUILD_PACKAGES))

apt-test-deps:
	@$(call apt_install,$(APT_TEST_PACKAGES))

venv: $(VENV)/.installed

venv-mcp1: $(VENV_MCP1)/.installed

$(VENV_MCP1)/.installed: Tests/python/requirements-mcp1.txt
	python3 -m venv $(VENV_MCP1)
	$(VENV_MCP1)/bin/pip install --quiet --disable-pip-version-check -r Tests/python/requirements-mcp1.txt
	touch $@

# The requirements install the Python client from clients/python, so a change to it reinstalls.
$(VENV)/.installed: Tests/python/requirements.txt clients/python/pyproject.toml $(wildcard clients/python/bosun_client/*.py) clients/python/bosun_client/py.typed
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r Tests/python/requirements.txt
	touch $@

schema-test-suite: $(SCHEMA_SUITE)/draft2020-12/.installed

$(SCHEMA_SUITE)/draft2020-12/.installed: | venv
	rm -rf $(SCHEMA_SUITE) && mkdir -p $(SCHEMA_SUITE)
	$(VENV)/bin/pip download --quiet --disable-pip-version-check --no-deps --no-binary jsonschema \
		jsonschema==$(SCHEMA_SUITE_VERSION) -d $(SCHEMA_SUITE)
	tar xzf $(SCHEMA_SUITE)/jsonschema-$(SCHEMA_SUITE_VERSION).tar.gz -C $(SCHEMA_SUITE) --strip-components=3 \
		jsonschema-$(SCHEMA_SUITE_VERSION)/json/tests/draft2020-12
	touch $@

clean:
	rm -rf $(SCRATCH) $(VENV) $(VENV_MCP1) $(SCHEMA_SUITE) $(FUZZ_SCRATCH) .fuzz

# Runs every fuzz target of the $(1) build with libFuzzer option $(2); prints its final figures.
define run_fuzzers
BIN="$$($(SWIFT) build --scratch-path $(FUZZ_SCRATCH) -c $(1) --show-bin-path)/bosun-fuzz"; \
for target in $(FUZZ_TARGETS); do \
	mkdir -p .fuzz/corpus/$$target .fuzz/crashes; \
	echo "fuzz $$target $(2)"; \
	SWIFT_BACKTRACE=enable=no "$$BIN" $$target $(2) -max_len=4096 -print_final_stats=1 \
		-artifact_prefix=.fuzz/crashes/$$target- .fuzz/corpus/$$target Tests/FuzzCorpus/$$target 2>&1 \
		| tee .fuzz/$$target.log | { grep -E "^(Done|stat::number_of_executed_units|stat::peak_rss|==[0-9]+==|SUMMARY)" || true; }; \
done
endef

# Installs the missing ones of the given apt packages: directly as root, with sudo when it
# works without a password, otherwise it prints the exact command and fails.
define apt_install
missing=""; \
for package in $(1); do \
	dpkg-query -W -f='$${Status}' "$$package" 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$package"; \
done; \
if [ -n "$$missing" ]; then \
	if [ "$$(id -u)" -eq 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo"; \
	else echo "missing system packages:$$missing"; \
		echo "install them with: sudo apt-get update && sudo apt-get install -y$$missing"; exit 1; fi; \
	echo "installing:$$missing"; \
	$$sudo apt-get update -qq; \
	DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing; \
fi
endef
