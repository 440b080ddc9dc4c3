#!/usr/bin/env bash
# Compile-time figures of a catalogue at scale (README, "Performance at scale"): for each N, a
# synthetic app of N products (scripts/synthetic-catalogue.sh), built with its dependencies
# already compiled, and timed:
#
#   models     the app crate and its migrate binary, from nothing of the app;
#   rebuild    the same after one product's module changed;
#   migration  the same after `generate` wrote the first migration of the whole catalogue
#              (generated against a fresh SQLite database, with the app's answers file);
#
# each with the peak memory of the largest process (rustc) and, for the migration, the
# module's size and the lines the macros expand to. Run from the repository root:
#
#   scripts/compile-figures.sh 100 500
#
# The dependencies are built once into target/synthetic, so a run after the first takes only
# the app's own time.
set -euo pipefail
root=$(pwd)
target="$root/target/synthetic"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# wall seconds and peak RSS (MB) of a command, its output kept in $work/log
timed() {
  /usr/bin/time -f '%e %M' -o "$work/time" "$@" > "$work/log" 2>&1 || {
    cat "$work/log" >&2
    return 1
  }
  read -r secs kb < "$work/time"
  printf '%6.1f s %6d MB' "$secs" $((kb / 1024))
}

for n in "$@"; do
  app="$work/synth$n"
  scripts/synthetic-catalogue.sh "$n" "$app"
  export CARGO_TARGET_DIR="$target"
  # the dependencies, compiled once: build the app with no product first
  if [ ! -e "$target/.deps-built" ]; then
    scripts/synthetic-catalogue.sh 0 "$work/synth0"
    (cd "$work/synth0" && cargo build --quiet --bin synth-migrate)
    touch "$target/.deps-built"
  fi
  cd "$app"
  # every synthetic app is the package `synth`, which cargo would find fresh from the last one
  cargo clean --quiet -p synth
  models=$(timed cargo build --bin synth-migrate)
  printf 'N=%-6d models    %s\n' "$n" "$models"
  echo '// changed' >> src/products/p00000.rs
  rebuild=$(timed cargo build --bin synth-migrate)
  printf 'N=%-6d rebuild   %s\n' "$n" "$rebuild"
  rm -f "$work/synth.db"
  export DATABASE_URL="sqlite://$work/synth.db?mode=rwc"
  if ! { "$target/debug/synth-migrate" up &&
    "$target/debug/synth-migrate" generate "synthetic catalogue" --answers answers.toml \
      --no-input; } > "$work/generate.log" 2>&1; then
    cat "$work/generate.log" >&2
    exit 1
  fi
  module=$(ls src/migrations/m[0-9]*.rs)
  migration=$(timed cargo build --bin synth-migrate)
  printf 'N=%-6d migration %s  (module %d KB)\n' "$n" "$migration" \
    $(($(stat -c %s "$module") / 1024))
  cd "$root"
done
