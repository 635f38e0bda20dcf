#!/usr/bin/env bash
# One command to test everything: installs dependencies, builds, and runs
#   1. the unit tests (GoogleTest, Release build)
#   2. the compatibility suite with stock clients (kazoo, C client, zkCli.sh) against caucusd
#   3. the same compatibility suite against Debian's real Apache ZooKeeper 3.8
#   4. the ensemble suite (3 members: replication, failover, sessions across members), against
#      caucusd and against a real ZooKeeper 3.8 ensemble; the ZAB simulator runs in step 1
#   5. the durability suite: kill -9 crash rounds, full disk (tmpfs), corruption, restarts
#   6. the unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer
#   7. the libFuzzer targets for a bounded time on their seed corpora
# Options:
#   --target=zookeeper   only run the compatibility and ensemble suites, against real ZooKeeper
#   --quick              skip the sanitizer build and the fuzzers
# Environment: FUZZ_SECONDS (per fuzzer, default 30), JOBS (build parallelism).
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD
JOBS=${JOBS:-$(nproc)}
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
QUICK=0
ONLY_ZK=0
for arg in "$@"; do
  case "$arg" in
    --quick) QUICK=1 ;;
    --target=zookeeper) ONLY_ZK=1 ;;
    --target=caucus) ;;
    *) echo "test.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

PY=/usr/bin/python3  # Debian's interpreter: the one that sees python3-kazoo and pytest
declare -a RESULTS=()
stage() { echo; echo "=== $* ==="; }
record() { RESULTS+=("$1: $2"); }

./deps.sh

if [ "$ONLY_ZK" = 1 ]; then
  stage "compatibility suite against Apache ZooKeeper (Debian package)"
  CAUCUS_COMPAT_TARGET=zookeeper "$PY" -m pytest tests/compat -q -p no:cacheprovider
  stage "ensemble suite against a 3-member Apache ZooKeeper ensemble"
  CAUCUS_ENSEMBLE_TARGET=zookeeper "$PY" -m pytest tests/ensemble -q -p no:cacheprovider \
    -k "not kill9"
  exit 0
fi

stage "build (Release)"
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DCAUCUS_BUILD_TESTS=ON > /dev/null
cmake --build build/release -j"$JOBS"

stage "unit tests (Release)"
ctest --test-dir build/release --output-on-failure -j"$JOBS"
record "unit tests" ok

stage "compatibility suite against caucusd"
CAUCUS_COMPAT_TARGET=caucus CAUCUSD="$ROOT/build/release/server/caucusd" \
  CAUCUS_C_CLIENT_TEST="$ROOT/build/release/tests/compat/c_client/c_client_test" \
  "$PY" -m pytest tests/compat -q -p no:cacheprovider
record "compat vs caucusd" ok

stage "compatibility suite against Apache ZooKeeper (the same tests, the reference server)"
CAUCUS_COMPAT_TARGET=zookeeper \
  CAUCUS_C_CLIENT_TEST="$ROOT/build/release/tests/compat/c_client/c_client_test" \
  "$PY" -m pytest tests/compat -q -p no:cacheprovider
record "compat vs zookeeper" ok

stage "compatibility suite through a follower of a 3-member ensemble: caucusd, then ZooKeeper"
CAUCUS_COMPAT_ENSEMBLE=1 CAUCUS_COMPAT_TARGET=caucus CAUCUSD="$ROOT/build/release/server/caucusd" \
  CAUCUS_C_CLIENT_TEST="$ROOT/build/release/tests/compat/c_client/c_client_test" \
  "$PY" -m pytest tests/compat -q -p no:cacheprovider
CAUCUS_COMPAT_ENSEMBLE=1 CAUCUS_COMPAT_TARGET=zookeeper \
  CAUCUS_C_CLIENT_TEST="$ROOT/build/release/tests/compat/c_client/c_client_test" \
  "$PY" -m pytest tests/compat -q -p no:cacheprovider
record "compat through an ensemble follower, caucusd and zookeeper" ok

stage "ensemble suite (3 members, kazoo): caucusd, then the same tests on ZooKeeper 3.8"
CAUCUS_ENSEMBLE_TARGET=caucus CAUCUSD="$ROOT/build/release/server/caucusd" \
  "$PY" -m pytest tests/ensemble -q -p no:cacheprovider
# The kill -9 crash test is not run against ZooKeeper: ZooKeeper 3.8 fails it (a restarted
# member intermittently ends up without acknowledged writes the others have; tests/ensemble/README.md).
CAUCUS_ENSEMBLE_TARGET=zookeeper "$PY" -m pytest tests/ensemble -q -p no:cacheprovider \
  -k "not kill9"
record "ensemble vs caucusd and vs zookeeper" ok

stage "durability suite (crash, disk full, corruption, restarts)"
CAUCUSD="$ROOT/build/release/server/caucusd" "$PY" -m pytest tests/durability -q -p no:cacheprovider
record "durability" ok

if [ "$QUICK" = 0 ]; then
  stage "build (ASan + UBSan)"
  cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DCAUCUS_SANITIZE=ON -DCAUCUS_BUILD_TESTS=ON \
    > /dev/null
  cmake --build build/asan -j"$JOBS"
  stage "unit tests (ASan + UBSan)"
  # The simulator sweeps thousands of seeds in Release; a slice of them suffices under ASan.
  CAUCUS_SIM_SEEDS=60 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build/asan --output-on-failure -j"$JOBS"
  record "unit tests under ASan+UBSan" ok

  stage "fuzzers (${FUZZ_SECONDS}s each)"
  cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
    -DCMAKE_CXX_COMPILER=clang++ -DCAUCUS_FUZZ=ON -DCAUCUS_BUILD_TESTS=ON > /dev/null
  cmake --build build/fuzz -j"$JOBS" --target jute_request_fuzzer node_frame_fuzzer zab_message_fuzzer
  tests/fuzz/run_fuzzers.sh build/fuzz "$FUZZ_SECONDS"
  record "fuzzers" ok
fi

echo
echo "=== summary ==="
for r in "${RESULTS[@]}"; do echo "  $r"; done
echo "all stages passed"
