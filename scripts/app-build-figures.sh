#!/usr/bin/env bash
# Cold-build figures of an app of one's own (README, "Your own app"): for each backend set, a
# fresh `cargo new` + `init`, the workshop-sized example products, and a timed
# `cargo build --bin <app>-migrate` into an empty target directory. Prints the packages
# compiled, the wall time and the debug binary's size. Run from the repository root:
#
#   scripts/app-build-figures.sh "postgres" "sqlite postgres mysql"
set -euo pipefail
root=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --quiet -p orch-migrate --bin orch-migrate
for set in "$@"; do
  name=app-$(echo "$set" | tr ' ' '-')
  cargo new --quiet --vcs none "$work/$name"
  args=()
  for b in $set; do args+=(--backend "$b"); done
  "$root/target/debug/orch-migrate" init "$work/$name" "${args[@]}" > /dev/null
  cp "$root/Cargo.lock" "$work/$name/Cargo.lock"
  start=$(date +%s.%N)
  compiled=$(cd "$work/$name" && CARGO_TARGET_DIR="$work/$name/target" \
    cargo build --bin "$name-migrate" 2>&1 | grep -c '^ *Compiling ' || true)
  end=$(date +%s.%N)
  size=$(stat -c %s "$work/$name/target/debug/$name-migrate")
  printf '%-24s %4d packages compiled  %6.1f s  %5.1f MB debug binary\n' \
    "$set" "$compiled" "$(echo "$end - $start" | bc)" "$(echo "$size / 1000000" | bc -l)"
done
