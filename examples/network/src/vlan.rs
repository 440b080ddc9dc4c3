//! `VlanRanges`: a set of VLAN ids as one resource type, the SAP's `vlan`.
//!
//! A domain type of this catalogue, not of orch: it shows what an app writes to give a
//! resource type its own Rust type, namely [`FieldValue`] with a name and the two conversions.
//! The stored form is the one the example orchestrator's `nwastdlib.vlans.VlanRanges` writes,
//! sorted and merged ranges joined by commas (`100,200-210`), so a database is readable by both.
//! Reading is as forgiving as that type is about order, overlaps and spaces, and stricter about
//! nonsense: `210-200` or an empty item between commas is an error that says what is wrong.

use std::fmt;
use std::ops::RangeInclusive;
use std::str::FromStr;

use orch_core::{FieldValue, ValueError};

/// The highest VLAN id accepted. IEEE 802.1Q ids run from 1 to 4094; nwa-stdlib accepts 0 to
/// 4096, and so does this type, so that any value it wrote can be read back.
pub const MAX_VLAN: u16 = 4096;

/// A set of VLAN ids, kept as sorted, disjoint, non-adjacent inclusive ranges.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct VlanRanges {
    ranges: Vec<(u16, u16)>,
}

/// Why a string or a range is not a set of VLANs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VlanError {
    /// A part that is neither a number nor a range of two numbers.
    #[error("`{0}` is not a VLAN id or a range like 200-210")]
    Syntax(String),
    /// An empty part between commas.
    #[error("an empty item between commas")]
    Empty,
    /// A VLAN id above [`MAX_VLAN`].
    #[error("VLAN {0} is out of range (0-{MAX_VLAN})")]
    OutOfRange(u32),
    /// A range whose end is below its start.
    #[error("`{start}-{end}` runs backwards; write {end}-{start}")]
    Backwards {
        /// The first number written.
        start: u16,
        /// The second number written.
        end: u16,
    },
}

impl VlanRanges {
    /// The set of the given inclusive ranges, in any order, overlapping or not.
    pub fn new(ranges: impl IntoIterator<Item = RangeInclusive<u16>>) -> Result<Self, VlanError> {
        let mut all: Vec<(u16, u16)> = Vec::new();
        for r in ranges {
            let (start, end) = (*r.start(), *r.end());
            if start > end {
                return Err(VlanError::Backwards { start, end });
            }
            if end > MAX_VLAN {
                return Err(VlanError::OutOfRange(u32::from(end)));
            }
            all.push((start, end));
        }
        all.sort_unstable();
        let mut merged: Vec<(u16, u16)> = Vec::with_capacity(all.len());
        for (start, end) in all {
            match merged.last_mut() {
                // overlapping or adjacent: one range
                Some(last) if u32::from(start) <= u32::from(last.1) + 1 => last.1 = last.1.max(end),
                _ => merged.push((start, end)),
            }
        }
        Ok(Self { ranges: merged })
    }

    /// The set of one VLAN.
    pub fn single(vlan: u16) -> Result<Self, VlanError> {
        Self::new([vlan..=vlan])
    }

    /// The ranges, sorted, disjoint and not adjacent.
    pub fn ranges(&self) -> impl Iterator<Item = RangeInclusive<u16>> + '_ {
        self.ranges.iter().map(|&(start, end)| start..=end)
    }

    /// Every VLAN id in the set, ascending.
    pub fn iter(&self) -> impl Iterator<Item = u16> + '_ {
        self.ranges().flatten()
    }

    /// Whether `vlan` is in the set.
    pub fn contains(&self, vlan: u16) -> bool {
        self.ranges
            .iter()
            .any(|&(start, end)| (start..=end).contains(&vlan))
    }

    /// The number of VLAN ids in the set.
    pub fn len(&self) -> usize {
        self.ranges
            .iter()
            .map(|&(start, end)| usize::from(end - start) + 1)
            .sum()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// The VLAN id, when the set holds exactly one (what an NSI point-to-point SAP needs).
    pub fn single_vlan(&self) -> Option<u16> {
        match self.ranges.as_slice() {
            [(start, end)] if start == end => Some(*start),
            _ => None,
        }
    }

    /// Whether the two sets share a VLAN id (two SAPs on one port must not).
    pub fn overlaps(&self, other: &VlanRanges) -> bool {
        self.ranges
            .iter()
            .any(|&(a, b)| other.ranges.iter().any(|&(c, d)| a.max(c) <= b.min(d)))
    }
}

impl fmt::Display for VlanRanges {
    /// `100,200-210`: a single VLAN as its number, a range as `start-end`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, &(start, end)) in self.ranges.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            if start == end {
                write!(f, "{start}")?;
            } else {
                write!(f, "{start}-{end}")?;
            }
        }
        Ok(())
    }
}

fn vlan_id(s: &str) -> Result<u16, VlanError> {
    let n: u32 = s
        .trim()
        .parse()
        .map_err(|_| VlanError::Syntax(s.trim().to_owned()))?;
    u16::try_from(n)
        .ok()
        .filter(|v| *v <= MAX_VLAN)
        .ok_or(VlanError::OutOfRange(n))
}

impl FromStr for VlanRanges {
    type Err = VlanError;

    /// Comma-separated VLAN ids and `start-end` ranges, in any order; spaces are ignored and
    /// the empty string is the empty set.
    fn from_str(s: &str) -> Result<Self, VlanError> {
        if s.trim().is_empty() {
            return Ok(Self::default());
        }
        let mut ranges = Vec::new();
        for part in s.split(',') {
            let part = part.trim();
            if part.is_empty() {
                return Err(VlanError::Empty);
            }
            let range = match part.split('-').collect::<Vec<_>>().as_slice() {
                [one] => {
                    let v = vlan_id(one)?;
                    v..=v
                }
                [start, end] => vlan_id(start)?..=vlan_id(end)?,
                _ => return Err(VlanError::Syntax(part.to_owned())),
            };
            ranges.push(range);
        }
        Self::new(ranges)
    }
}

impl FieldValue for VlanRanges {
    const TYPE_NAME: &'static str = "VlanRanges";
    fn to_stored(&self) -> String {
        self.to_string()
    }
    fn from_stored(s: &str) -> Result<Self, ValueError> {
        s.parse().map_err(|e| ValueError::new::<Self>(s, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> VlanRanges {
        s.parse().unwrap()
    }

    #[test]
    fn stored_as_sorted_merged_ranges() {
        assert_eq!(v("200-210").to_stored(), "200-210");
        assert_eq!(v("100,200-210").to_stored(), "100,200-210");
        // order, overlaps, adjacency and spaces are normalised as nwa-stdlib does
        assert_eq!(v(" 200 - 205, 100,204-210 ").to_stored(), "100,200-210");
        assert_eq!(v("4,10-12,11-14").to_stored(), "4,10-14");
        assert_eq!(v("1,2,3").to_stored(), "1-3");
        assert_eq!(v("").to_stored(), "");
        for stored in ["100", "100,200-210", "0-4096", ""] {
            assert_eq!(VlanRanges::from_stored(stored), Ok(v(stored)));
            assert_eq!(v(stored).to_stored(), stored);
        }
    }

    #[test]
    fn set_operations() {
        let s = v("100,200-210");
        assert_eq!(s.len(), 12);
        assert!(s.contains(205) && s.contains(100) && !s.contains(150));
        assert_eq!(s.iter().take(3).collect::<Vec<_>>(), [100, 200, 201]);
        assert_eq!(s.single_vlan(), None);
        assert_eq!(v("7").single_vlan(), Some(7));
        assert!(s.overlaps(&v("210-300")));
        assert!(!s.overlaps(&v("101-199")));
        assert!(VlanRanges::default().is_empty());
        assert_eq!(VlanRanges::single(42).unwrap().to_stored(), "42");
    }

    #[test]
    fn bad_strings_are_clear_errors() {
        let msg = |s: &str| VlanRanges::from_stored(s).unwrap_err().to_string();
        assert_eq!(
            msg("100,abc"),
            "`100,abc` is not a valid VlanRanges: `abc` is not a VLAN id or a range like 200-210"
        );
        assert_eq!(
            msg("210-200"),
            "`210-200` is not a valid VlanRanges: `210-200` runs backwards; write 200-210"
        );
        assert_eq!(
            msg("100,5000"),
            "`100,5000` is not a valid VlanRanges: VLAN 5000 is out of range (0-4096)"
        );
        assert_eq!(
            msg("100,,200"),
            "`100,,200` is not a valid VlanRanges: an empty item between commas"
        );
        assert_eq!(
            msg("1-2-3"),
            "`1-2-3` is not a valid VlanRanges: `1-2-3` is not a VLAN id or a range like 200-210"
        );
        #[allow(clippy::reversed_empty_ranges)] // the mistake under test
        let backwards = 5..=3;
        assert_eq!(
            VlanRanges::new([backwards]),
            Err(VlanError::Backwards { start: 5, end: 3 })
        );
    }
}
