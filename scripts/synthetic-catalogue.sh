#!/usr/bin/env bash
# Writes a synthetic orch app of N products into DIR, the catalogue of the scale benchmarks
# (tests/benches/generate.rs, apply.rs): product i has a root block `Block<i>` with 3-6
# resource types and one or two child blocks `Block<i>c<j>` with 3-6 each, drawn from 300
# shared resource types, and one fixed input `speed`. Each product and its blocks sit in their
# own module (src/products/p<i>.rs), as in a real catalogue; `answers.toml` answers every
# question `generate` asks, so that generating is headless.
#
#   scripts/synthetic-catalogue.sh 500 /tmp/synth500
#
# The crate depends on this checkout's orch-core and orch-migrate by path (SQLite only: the
# backend does not change what the app's own code costs to compile), and is its own workspace. scripts/compile-figures.sh builds and times it.
set -euo pipefail
n=${1:?number of products}
dir=${2:?directory to write}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$dir/src/products" "$dir/src/migrations" "$dir/src/bin"

cat > "$dir/Cargo.toml" <<EOF
[package]
name = "synth"
version = "0.1.0"
edition = "2024"
publish = false

[dependencies]
orch-core = { path = "$root/orch-core", default-features = false, features = ["sqlite"] }
orch-migrate = { path = "$root/orch-migrate", default-features = false, features = ["sqlite"] }

[patch.crates-io]
sqlx-core = { path = "$root/vendor/sqlx-core" }

[profile.dev]
debug = "line-tables-only"

[profile.dev.package."*"]
debug = false

[workspace]
EOF
cp "$root/Cargo.lock" "$dir/Cargo.lock"

cat > "$dir/build.rs" <<'EOF'
fn main() {
    println!("cargo::rerun-if-changed=src/migrations");
}
EOF
echo 'orch_core::migrations!();' > "$dir/src/migrations/mod.rs"
cat > "$dir/src/bin/synth-migrate.rs" <<'EOF'
use std::process::ExitCode;

use synth as _;

fn main() -> ExitCode {
    orch_migrate::cli::main(orch_migrate::app!(synth::migrations::migrations))
}
EOF

types=(String i64 bool "Option<String>")
declare -A used
# the fields of a block: `count` resource types from the 300, drawn from `seed`
fields() {
  local seed=$1 count=$2 m name seen=" "
  for ((m = 0; m < count; m++)); do
    name=$(printf 'rt%03d' $(((seed * 13 + m * 7) % 300)))
    [[ $seen == *" $name "* ]] && continue
    seen+="$name "
    used[$name]=1
    type=${types[$(((seed + m) % 4))]}
    printf '    /// Resource %s.\n' "$name"
    # a value only a person gives is required from provisioning, as in a real model
    [[ $type == Option* ]] || printf '    #[required_from(provisioning)]\n'
    printf '    pub %s: %s,\n' "$name" "$type"
  done
}

{
  echo '//! A synthetic catalogue: one module per product.'
  echo
  echo 'pub mod migrations;'
  echo 'pub mod products;'
  echo
  echo 'orch_core::register_products! {'
  for ((i = 0; i < n; i++)); do
    printf '    "product %05d" => products::p%05d::Type%05d,\n' "$i" "$i" "$i"
  done
  echo '}'
} > "$dir/src/lib.rs"

{
  echo '//! The products, one module each.'
  for ((i = 0; i < n; i++)); do
    printf 'pub mod p%05d;\n' "$i"
  done
} > "$dir/src/products/mod.rs"

{
  for ((i = 0; i < n; i++)); do
    id=$(printf '%05d' "$i")
    children=$((1 + i % 2))
    {
      printf '//! Product %s.\n\nuse orch_core::{product, product_block};\n' "$id"
      for ((j = 0; j < children; j++)); do
        printf '\n/// Child block %d of product %s.\n#[product_block(name = "Block%sc%d")]\npub struct Block%sc%d {\n' \
          "$j" "$id" "$id" "$j" "$id" "$j"
        fields $((i * 3 + j + 1)) $((3 + (i + j) % 4))
        echo '}'
      done
      printf '\n/// Root block of product %s.\n#[product_block(name = "Block%s")]\npub struct Block%s {\n' \
        "$id" "$id" "$id"
      fields $((i * 3)) $((3 + i % 4))
      for ((j = 0; j < children; j++)); do
        printf '    /// Child %d.\n    pub child%d: Block%sc%d,\n' "$j" "$j" "$id" "$j"
      done
      echo '}'
      printf '\n/// Product type %s.\n#[product(product_type = "Type%s")]\npub struct Type%s {\n' \
        "$id" "$id" "$id"
      printf '    /// Its speed, a fixed input.\n    pub speed: String,\n'
      printf '    /// The root block.\n    pub root: Block%s,\n}\n' "$id"
    } > "$dir/src/products/p$id.rs"
  done
}

{
  echo '# Every answer `generate` needs for the synthetic catalogue.'
  for ((i = 0; i < n; i++)); do
    printf '\n[products."product %05d"]\ndescription = "Product %05d"\ntag = "SYN"\nfixed_inputs = { speed = "10G" }\n' \
      "$i" "$i"
  done
  for ((i = 0; i < n; i++)); do
    printf '\n[product_blocks.Block%05d]\ndescription = "Root block %05d"\ntag = "SYN"\n' "$i" "$i"
    for ((j = 0; j < 1 + i % 2; j++)); do
      printf '\n[product_blocks.Block%05dc%d]\ndescription = "Child block %d of %05d"\ntag = "SYN"\n' \
        "$i" "$j" "$j" "$i"
    done
  done
  echo
  echo '[resource_types]'
  for name in $(printf '%s\n' "${!used[@]}" | sort); do
    printf '%s = "Resource %s"\n' "$name" "${name#rt}"
  done
} > "$dir/answers.toml"
