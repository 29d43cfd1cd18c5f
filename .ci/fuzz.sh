#!/usr/bin/env bash
# Issue 13: run every cargo-fuzz target in fuzz/ for a bounded time from the corpus kept in
# fuzz/corpus/<target>. Fails on any crash, panic, leak of the RSS limit or timeout. The machine
# has only stable Rust: cargo-fuzz needs RUSTC_BOOTSTRAP=1; no sanitizer (-s none), so a panic
# or an abort is what is caught, plus memory over -rss_limit_mb and inputs slower than -timeout.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds="${FUZZ_SECONDS:-60}"
export RUSTC_BOOTSTRAP=1
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  start=$(date +%s)
  cargo install --locked cargo-fuzz
  echo "cargo-fuzz installed in $(( $(date +%s) - start )) s"
fi
start=$(date +%s)
cargo fuzz build -s none -O
echo "fuzz targets built in $(( $(date +%s) - start )) s"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for target in $(cargo fuzz list); do
  # New inputs go to a scratch directory; the committed corpus is only read.
  mkdir -p "$work/$target" "corpus/$target"
  # A dictionary of the target's tokens (parameter names), when it has one.
  dict=()
  if [ -f "dicts/$target.dict" ]; then dict=("-dict=dicts/$target.dict"); fi
  if cargo fuzz run "$target" -s none -O "$work/$target" "corpus/$target" -- \
      -max_total_time="$seconds" -rss_limit_mb=1024 -timeout=10 -print_final_stats=1 "${dict[@]}" \
      >"$work/$target.log" 2>&1; then
    runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$work/$target.log" | grep -Eo '[0-9]+$' || echo "?")
    echo "fuzz $target: ok, $runs executions in ${seconds} s"
  else
    status=1
    echo "fuzz $target: FAILED"
    grep -E -A15 "panicked|ERROR: libFuzzer|Test unit written" "$work/$target.log" | head -60
  fi
done
exit "$status"
