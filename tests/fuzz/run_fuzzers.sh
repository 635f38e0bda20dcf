#!/usr/bin/env bash
# Runs each libFuzzer target for a bounded time on a scratch copy of its seed corpus.
# Exits non-zero if any fuzzer crashes, trips a sanitizer or leaks (crash files are kept in
# <build_dir>/fuzz-artifacts/<fuzzer>/).
#
#   tests/fuzz/run_fuzzers.sh <build_dir> <seconds_each>
#
# The build dir must come from:
#   cmake -S . -B build/fuzz -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang \
#         -DCAUCUS_FUZZ=ON -DCAUCUS_BUILD_TESTS=ON
#   cmake --build build/fuzz -j2 --target jute_request_fuzzer node_frame_fuzzer zab_message_fuzzer
set -u
if [ $# -ne 2 ]; then
  echo "usage: $0 <build_dir> <seconds_each>" >&2
  exit 2
fi
build=$(cd "$1" && pwd) || exit 2
secs=$2
here=$(cd "$(dirname "$0")" && pwd)
fuzzers="jute_request_fuzzer node_frame_fuzzer zab_message_fuzzer"
status=0
for f in $fuzzers; do
  bin="$build/tests/fuzz/$f"
  if [ ! -x "$bin" ]; then
    echo "missing $bin (build with -DCAUCUS_FUZZ=ON)" >&2
    status=1
    continue
  fi
  work=$(mktemp -d)
  cp -r "$here/corpus/$f/." "$work/"
  artifacts="$build/fuzz-artifacts/$f"
  mkdir -p "$artifacts"
  echo "== $f: ${secs}s"
  # -rss_limit_mb bounds memory; -timeout flags a single input running > 10 s as a hang.
  if ! "$bin" "$work" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
      -max_len=65536 -print_final_stats=1 -artifact_prefix="$artifacts/" \
      > "$artifacts/log.txt" 2>&1; then
    echo "FAIL: $f (see $artifacts/log.txt)" >&2
    tail -40 "$artifacts/log.txt" >&2
    status=1
  else
    grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb|cov:" "$artifacts/log.txt" | tail -3
  fi
  rm -rf "$work"
done
exit $status
