//! A crate version's `MAJOR.MINOR.PATCH` core, and the bump a release takes.

use std::fmt;
use std::str::FromStr;

use anyhow::{Context, Result, bail};

/// The core of a semver version; pre-release versions are not used here,
/// and build metadata (the spec version) is carried separately.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
}

/// How far a release moves a crate's version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Bump {
    /// Nothing a dependent's code can tell: bug fixes, additions while 0.x.
    Patch,
    /// A change that breaks a dependent's code (`0.y` to `0.y+1` while 0.x,
    /// the major from 1.0 on: cargo treats the left-most non-zero part as
    /// the compatibility boundary).
    Breaking,
}

impl Version {
    /// The next version after a release of this one that takes `bump`.
    pub fn bumped(self, bump: Bump) -> Version {
        match (bump, self.major) {
            (Bump::Patch, _) => Version {
                patch: self.patch + 1,
                ..self
            },
            (Bump::Breaking, 0) => Version {
                minor: self.minor + 1,
                patch: 0,
                ..self
            },
            (Bump::Breaking, major) => Version {
                major: major + 1,
                minor: 0,
                patch: 0,
            },
        }
    }
}

impl Version {
    /// The `--release-type` that `cargo-semver-checks` holds a release
    /// `self -> next` to. Like cargo, it treats a 0.x crate's minor as its
    /// major: 0.1.0 -> 0.2.0 may break ("major"), 0.1.0 -> 0.1.1 may add
    /// ("minor"). An unchanged version is checked as the next patch release.
    pub fn release_type(self, next: Version) -> &'static str {
        let next = if next == self {
            self.bumped(Bump::Patch)
        } else {
            next
        };
        match (
            self.major,
            next.major != self.major,
            next.minor != self.minor,
        ) {
            (_, true, _) | (0, false, true) => "major",
            (0, false, false) | (_, false, true) => "minor",
            _ => "patch",
        }
    }
}

impl FromStr for Version {
    type Err = anyhow::Error;

    /// `1.2.3`, or `1.2.3+meta` (the metadata is dropped).
    fn from_str(s: &str) -> Result<Self> {
        let core = s.split_once('+').map_or(s, |(core, _)| core);
        let parts: Vec<&str> = core.split('.').collect();
        let [major, minor, patch] = parts[..] else {
            bail!("`{s}` is not MAJOR.MINOR.PATCH");
        };
        let num = |p: &str| {
            p.parse::<u64>().with_context(|| {
                format!("`{s}` is not MAJOR.MINOR.PATCH (pre-releases are not used)")
            })
        };
        Ok(Version {
            major: num(major)?,
            minor: num(minor)?,
            patch: num(patch)?,
        })
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        s.parse().unwrap()
    }

    #[test]
    fn breaking_bumps_the_minor_while_0x_and_the_major_from_1_0() {
        assert_eq!(v("0.1.0").bumped(Bump::Breaking), v("0.2.0"));
        assert_eq!(v("0.1.3").bumped(Bump::Breaking), v("0.2.0"));
        assert_eq!(v("0.1.3").bumped(Bump::Patch), v("0.1.4"));
        assert_eq!(v("1.4.2").bumped(Bump::Breaking), v("2.0.0"));
        assert_eq!(v("1.4.2").bumped(Bump::Patch), v("1.4.3"));
    }

    #[test]
    fn metadata_is_dropped_and_bad_versions_are_errors() {
        assert_eq!(v("0.1.0+2.167"), v("0.1.0"));
        assert!("0.1".parse::<Version>().is_err());
        assert!("0.1.0-rc.1".parse::<Version>().is_err());
    }

    #[test]
    fn release_types_follow_cargo_for_0x() {
        assert_eq!(v("0.1.0").release_type(v("0.2.0")), "major");
        assert_eq!(v("0.1.0").release_type(v("0.1.1")), "minor");
        assert_eq!(v("0.1.0").release_type(v("0.1.0")), "minor");
        assert_eq!(v("1.0.0").release_type(v("2.0.0")), "major");
        assert_eq!(v("1.0.0").release_type(v("1.1.0")), "minor");
        assert_eq!(v("1.0.0").release_type(v("1.0.1")), "patch");
        assert_eq!(v("1.0.0").release_type(v("1.0.0")), "patch");
    }
}
