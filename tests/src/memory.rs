//! Peak memory of one piece of work inside a bench process, read from Linux's `/proc`.
//!
//! Criterion measures time only; the generate bench also reports how much memory the command
//! needs, since a catalogue of thousands of products must not need a large machine to migrate.

/// The process's resident memory in KiB before `f`, the peak while `f` ran, and `f`'s result.
///
/// The peak is reset first (`5` written to `/proc/self/clear_refs`, Linux 4.0 and later), so
/// it covers `f` alone plus what the process held before it. `None` for the memory where
/// `/proc` cannot be read or reset: elsewhere than Linux, or in a restricted container.
pub fn peak_during<T>(f: impl FnOnce() -> T) -> (Option<(u64, u64)>, T) {
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let before = status_kib("VmRSS:");
    let out = f();
    let peak = status_kib("VmHWM:");
    match (reset, before, peak) {
        (true, Some(before), Some(peak)) => (Some((before, peak)), out),
        _ => (None, out),
    }
}

/// A `kB` line of `/proc/self/status`.
fn status_kib(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    line[key.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_os = "linux")]
    fn a_large_allocation_shows_in_the_peak() {
        let (memory, len) = peak_during(|| {
            let v = vec![1u8; 64 << 20];
            std::hint::black_box(&v);
            v.len()
        });
        assert_eq!(len, 64 << 20);
        let (before, peak) = memory.expect("Linux's /proc/self/status and clear_refs");
        assert!(
            peak >= before + 60 * 1024,
            "64 MiB touched: peak {peak} KiB, before {before} KiB"
        );
    }
}
