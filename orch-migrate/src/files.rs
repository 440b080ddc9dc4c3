//! The migrations directory: which modules it holds, writing a new one, and whether the binary
//! was built from what it holds now.
//!
//! The binary applies the migrations compiled into it; the directory is what the user sees and
//! edits. When they differ (a migration generated or pulled but not compiled in, or deleted
//! while the binary still has it), every command that reads or changes migration state stops
//! with "rebuild" rather than report "up to date" or apply what is no longer there.

use std::path::{Path, PathBuf};

use crate::render::{self, Rendered};

/// Whether a file stem is a migration module's: `m` and a `YYYYMMDD_HHMMSS_` time, as
/// `generate` names them (the same rule as `orch_core::migrations!()`).
pub fn is_migration(stem: &str) -> bool {
    let b = stem.as_bytes();
    b.len() > 17
        && b[0] == b'm'
        && b[1..9].iter().all(u8::is_ascii_digit)
        && b[9] == b'_'
        && b[10..16].iter().all(u8::is_ascii_digit)
        && b[16] == b'_'
        && stem.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The migration modules in `dir`, sorted; none when `dir` does not exist.
pub fn existing_modules(dir: &Path) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    if !dir.exists() {
        return Ok(out);
    }
    let entries = std::fs::read_dir(dir)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", dir.display()))?;
    for entry in entries {
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

/// Whether `dir/mod.rs` lists the directory with `migrations!()`, so that the binary must hold
/// exactly the directory's migrations (a hand-written list may leave some out on purpose).
pub fn follows_directory(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join("mod.rs")).is_ok_and(|t| t.contains("migrations!("))
}

/// How the binary and the migrations directory differ.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Drift {
    /// Files in the directory the binary lacks.
    pub unbuilt: Vec<String>,
    /// Migrations of the binary whose file is gone from a directory `migrations!()` lists.
    pub deleted: Vec<String>,
}

impl Drift {
    /// Compares the migrations compiled in (`known`, core schema included) with `dir`. A
    /// directory that does not exist (a binary deployed without its sources) differs in nothing.
    pub fn of(dir: &Path, known: &[String]) -> anyhow::Result<Drift> {
        let files = existing_modules(dir)?;
        let unbuilt = files
            .iter()
            .filter(|f| !known.contains(f))
            .cloned()
            .collect();
        let deleted = if follows_directory(dir) {
            known
                .iter()
                .filter(|k| is_migration(k) && !files.contains(k))
                .filter(|k| !crate::schema::is_core(k))
                .cloned()
                .collect()
        } else {
            Vec::new()
        };
        Ok(Drift { unbuilt, deleted })
    }

    /// Whether the binary holds what the directory does.
    pub fn is_empty(&self) -> bool {
        self.unbuilt.is_empty() && self.deleted.is_empty()
    }

    /// Fails with what differs and "rebuild", unless nothing does.
    pub fn require_none(&self, app: &str) -> anyhow::Result<()> {
        if self.is_empty() {
            return Ok(());
        }
        let mut parts = Vec::new();
        if !self.unbuilt.is_empty() {
            parts.push(format!(
                "the migrations directory has {} which this binary was built without",
                self.unbuilt.join(", ")
            ));
        }
        if !self.deleted.is_empty() {
            parts.push(format!(
                "this binary has {} whose file is gone from the migrations directory",
                self.deleted.join(", ")
            ));
        }
        anyhow::bail!(
            "{}: rebuild {app} (cargo build) and run it again",
            parts.join("; ")
        )
    }
}

/// Writes `rendered` into `dir` and makes sure the next build lists it: `mod.rs` is written
/// when missing or when it is an old generated list, and touched otherwise, so that Cargo
/// recompiles the crate. Returns the module's path and, when `mod.rs` is the user's own, a
/// note saying to declare the module there.
pub fn write_module(dir: &Path, rendered: &Rendered) -> anyhow::Result<(PathBuf, Option<String>)> {
    std::fs::create_dir_all(dir)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join(format!("{}.rs", rendered.module));
    if path.exists() {
        anyhow::bail!("{} exists already", path.display());
    }
    std::fs::write(&path, &rendered.source)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    let mod_rs = dir.join("mod.rs");
    let current = std::fs::read_to_string(&mod_rs).ok();
    let note = match current.as_deref() {
        None => {
            write(&mod_rs, render::MOD_RS)?;
            None
        }
        Some(t) if t.starts_with(render::LISTING_MOD_RS) => {
            write(&mod_rs, render::MOD_RS)?;
            None
        }
        Some(t) if t.contains("migrations!(") => {
            // same bytes, new time: Cargo sees mod.rs changed and the macro lists the new file
            write(&mod_rs, t)?;
            None
        }
        Some(_) => Some(format!(
            "{} is not generated: declare `mod {};` there and add it to the list, or replace \
             the file's contents with `orch_core::migrations!();`",
            mod_rs.display(),
            rendered.module
        )),
    };
    Ok((path, note))
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(module: &str) -> Rendered {
        Rendered {
            source: "//! m\n".into(),
            module: module.into(),
        }
    }

    #[test]
    fn mod_rs_is_written_replaced_touched_or_left_with_a_note() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("migrations");
        let (path, note) = write_module(&d, &rendered("m20260101_000000_a")).unwrap();
        assert!(path.ends_with("m20260101_000000_a.rs") && note.is_none());
        assert_eq!(
            std::fs::read_to_string(d.join("mod.rs")).unwrap(),
            render::MOD_RS
        );
        assert!(follows_directory(&d));

        // an old generated list becomes the macro
        std::fs::write(
            d.join("mod.rs"),
            format!(
                "{}orch-migrate generate`...\nmod m20260101_000000_a;\n",
                render::LISTING_MOD_RS
            ),
        )
        .unwrap();
        write_module(&d, &rendered("m20260102_000000_b")).unwrap();
        assert_eq!(
            std::fs::read_to_string(d.join("mod.rs")).unwrap(),
            render::MOD_RS
        );

        // the user's own is left, with a note
        std::fs::write(d.join("mod.rs"), "mod m20260101_000000_a;\n").unwrap();
        let (_, note) = write_module(&d, &rendered("m20260103_000000_c")).unwrap();
        assert!(note.unwrap().contains("declare `mod m20260103_000000_c;`"));
        assert_eq!(
            std::fs::read_to_string(d.join("mod.rs")).unwrap(),
            "mod m20260101_000000_a;\n"
        );
        assert!(!follows_directory(&d));

        let e = write_module(&d, &rendered("m20260103_000000_c")).unwrap_err();
        assert!(e.to_string().ends_with("exists already"), "{e}");
    }

    #[test]
    fn drift_names_files_the_binary_lacks_and_files_that_went() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let known = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(
            Drift::of(&d.join("absent"), &known(&["m20260101_000000_a"]))
                .unwrap()
                .is_empty()
        );

        std::fs::write(d.join("m20260102_000000_b.rs"), "").unwrap();
        let drift = Drift::of(d, &known(&["m20260101_000000_a"])).unwrap();
        assert_eq!(drift.unbuilt, ["m20260102_000000_b"]);
        // a hand-written mod.rs may leave a file out: only unbuilt files count
        assert!(drift.deleted.is_empty());

        std::fs::write(d.join("mod.rs"), render::MOD_RS).unwrap();
        let drift = Drift::of(d, &known(&["m20260101_000000_a", "m20260102_000000_b"])).unwrap();
        assert_eq!(drift.deleted, ["m20260101_000000_a"]);
        let e = drift.require_none("my-migrate").unwrap_err().to_string();
        assert_eq!(
            e,
            "this binary has m20260101_000000_a whose file is gone from the migrations \
             directory: rebuild my-migrate (cargo build) and run it again"
        );
    }
}
