//! `migrations!()`: the modules of a migrations directory, read when the crate compiles.
//!
//! A generated `mod.rs` that lists its modules breaks the build as soon as a listed file is
//! deleted, and then the binary that would repair it cannot be built. Listing the directory at
//! compile time makes deleting an unapplied migration the whole undo. Cargo rebuilds the crate
//! when a listed file changes or goes (rustc records each module file); a build script with
//! `cargo::rerun-if-changed=<dir>` makes it rebuild when a file is added too, and `generate`
//! touches `mod.rs` after writing one.

use std::path::{Path, PathBuf};

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};

/// Expands `migrations!()` (the directory of the invoking file) or `migrations!("dir")`
/// (relative to the package root).
pub(crate) fn expand(input: TokenStream, call_site_file: Option<PathBuf>) -> TokenStream {
    match directory(input, call_site_file).and_then(|dir| {
        let modules = modules(&dir).map_err(|e| {
            syn::Error::new(
                Span::call_site(),
                format!(
                    "cannot read the migrations directory {}: {e}",
                    dir.display()
                ),
            )
        })?;
        Ok(list(&dir, &modules))
    }) {
        Ok(tokens) => tokens,
        Err(e) => e.to_compile_error(),
    }
}

/// The directory to list: the argument under `CARGO_MANIFEST_DIR`, or the directory whose
/// files `mod name;` in the invoking file refers to.
fn directory(input: TokenStream, call_site_file: Option<PathBuf>) -> syn::Result<PathBuf> {
    let cwd = std::env::current_dir().unwrap_or_default();
    if !input.is_empty() {
        let lit: syn::LitStr = syn::parse2(input)?;
        let root = std::env::var_os("CARGO_MANIFEST_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| cwd.clone());
        return Ok(root.join(lit.value()));
    }
    let Some(file) = call_site_file else {
        return Err(syn::Error::new(
            Span::call_site(),
            "the compiler did not say which file invokes `migrations!()`; name the directory: \
             `migrations!(\"src/migrations\")`",
        ));
    };
    let file = cwd.join(file);
    let parent = file.parent().unwrap_or(Path::new(".")).to_path_buf();
    // `mod x;` in mod.rs, lib.rs or main.rs means a sibling file; in `foo.rs`, `foo/x.rs`
    Ok(match file.file_stem().and_then(|s| s.to_str()) {
        Some("mod" | "lib" | "main") | None => parent,
        Some(stem) => parent.join(stem),
    })
}

/// Whether a file stem is a migration module's: `m` and a `YYYYMMDD_HHMMSS_` time, as
/// `generate` names them.
pub(crate) fn is_migration(stem: &str) -> bool {
    let b = stem.as_bytes();
    b.len() > 17
        && b[0] == b'm'
        && b[1..9].iter().all(u8::is_ascii_digit)
        && b[9] == b'_'
        && b[10..16].iter().all(u8::is_ascii_digit)
        && b[16] == b'_'
        && stem.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The migration modules in `dir`, sorted (by time, the order they are applied in).
fn modules(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name();
        if let Some(stem) = name.to_str().and_then(|n| n.strip_suffix(".rs"))
            && is_migration(stem)
        {
            out.push(stem.to_owned());
        }
    }
    out.sort();
    Ok(out)
}

/// The module declarations and the list.
fn list(dir: &Path, modules: &[String]) -> TokenStream {
    let idents: Vec<_> = modules.iter().map(|m| format_ident!("{}", m)).collect();
    let paths: Vec<String> = modules
        .iter()
        .map(|m| dir.join(format!("{m}.rs")).to_string_lossy().into_owned())
        .collect();
    quote! {
        #(
            #[path = #paths]
            mod #idents;
        )*

        /// The migrations of this directory, oldest first: every `m*.rs` file it held when
        /// the crate was compiled.
        pub fn migrations() -> ::std::vec::Vec<
            ::std::boxed::Box<dyn ::orch_core::migration::MigrationTrait>,
        > {
            ::std::vec![#(::std::boxed::Box::new(#idents::Migration)),*]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_generated_names_are_migrations() {
        assert!(is_migration("m20261125_093019_add_user"));
        assert!(!is_migration("mod"));
        assert!(!is_migration("m2026112_093019_add"));
        assert!(!is_migration("m20261125-093019_add_user"));
        assert!(!is_migration("helpers_for_m20261125"));
        assert!(!is_migration("m20261125_093019_add-user"));
    }

    #[test]
    fn the_directory_is_listed_in_time_order_and_other_files_are_left_out() {
        let dir = std::env::temp_dir().join(format!("orch-macros-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for f in [
            "m20260102_000000_b.rs",
            "m20260101_000000_a.rs",
            "mod.rs",
            "notes.md",
            "helper.rs",
        ] {
            std::fs::write(dir.join(f), "").unwrap();
        }
        let found = modules(&dir).unwrap();
        assert_eq!(found, ["m20260101_000000_a", "m20260102_000000_b"]);
        let tokens = list(&dir, &found).to_string();
        let a = tokens.find("mod m20260101_000000_a").unwrap();
        let b = tokens.find("mod m20260102_000000_b").unwrap();
        assert!(a < b);
        assert!(tokens.contains("m20260101_000000_a :: Migration"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_directory_follows_the_invoking_file() {
        let cwd = std::env::current_dir().unwrap();
        let d = |f: &str| directory(TokenStream::new(), Some(PathBuf::from(f))).unwrap();
        assert_eq!(d("src/migrations/mod.rs"), cwd.join("src/migrations"));
        assert_eq!(d("src/migrations.rs"), cwd.join("src/migrations"));
        assert_eq!(d("src/lib.rs"), cwd.join("src"));
        let e = directory(TokenStream::new(), None).unwrap_err().to_string();
        assert!(e.contains("migrations!(\"src/migrations\")"), "{e}");
        let missing = expand(quote!("no/such/dir"), None).to_string();
        assert!(
            missing.contains("cannot read the migrations directory"),
            "{missing}"
        );
    }
}
