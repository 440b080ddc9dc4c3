//! Compile-fail tests: each file in `tests/ui` is a mistake a user can make with orch's macros,
//! and its `.stderr` is the error they see.
//!
//! Regenerate the expected output with `TRYBUILD=overwrite cargo test -p orch-core --test
//! compile_fail`, then read every changed `.stderr`: the error must point at the mistake.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
