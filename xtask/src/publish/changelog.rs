//! The `CHANGELOG.md` section of a release, drafted from `cargo xtask
//! diff`'s report for the maintainer to edit: the hand-written notes under
//! `[Unreleased]` move into it, followed by what the spec change added,
//! changed, removed, and what breaks.

use std::fmt::Write as _;

use anyhow::{Result, bail};

use crate::diff::{Change, Kind, Report};

const UNRELEASED: &str = "## [Unreleased]";

/// The changelog with the release section `title` drafted under a new,
/// empty `[Unreleased]`. Fails when there is no `[Unreleased]` heading or
/// the section was already drafted.
pub fn draft(changelog: &str, title: &str, report: &Report, verdicts: &[String]) -> Result<String> {
    let heading = format!("## {title}");
    if changelog.lines().any(|l| l == heading) {
        bail!(
            "CHANGELOG.md already has `{heading}`: edit that section rather than drafting it again"
        );
    }
    let Some(start) = changelog.find(&format!("{UNRELEASED}\n")) else {
        bail!("CHANGELOG.md has no `{UNRELEASED}` heading");
    };
    let body_start = start + UNRELEASED.len() + 1;
    let body_end = changelog[body_start..]
        .find("\n## ")
        .map_or(changelog.len(), |i| body_start + i + 1);
    let notes = changelog[body_start..body_end].trim();

    let mut section = format!("{UNRELEASED}\n\n{heading}\n\n");
    for verdict in verdicts {
        let _ = writeln!(section, "- {verdict}");
    }
    section.push('\n');
    if !notes.is_empty() {
        section.push_str(notes);
        section.push_str("\n\n");
    }
    section.push_str(&spec_changes(report));
    Ok(format!(
        "{}{section}{}",
        &changelog[..start],
        &changelog[body_end..]
    ))
}

/// `### X API spec a -> b` with Breaking / Added / Changed / Removed lists.
fn spec_changes(report: &Report) -> String {
    let version = |v: &Option<String>| v.clone().unwrap_or_else(|| "?".to_owned());
    let mut out = format!(
        "### X API spec {} -> {} (drafted by `cargo xtask release` from `cargo xtask diff`: edit)\n\n",
        version(&report.old_version),
        version(&report.new_version)
    );
    if report.changes.is_empty() {
        out.push_str("No change to the Stream Connections API.\n\n");
        return out;
    }
    type Wanted = fn(&Change) -> bool;
    let groups: [(&str, Wanted); 4] = [
        ("Breaking", |c| c.breaking),
        ("Added", |c| !c.breaking && group(c.kind) == Group::Added),
        ("Changed", |c| {
            !c.breaking && group(c.kind) == Group::Changed
        }),
        ("Removed", |c| {
            !c.breaking && group(c.kind) == Group::Removed
        }),
    ];
    for (title, wanted) in groups {
        let changes: Vec<&Change> = report.changes.iter().filter(|c| wanted(c)).collect();
        if changes.is_empty() {
            continue;
        }
        let _ = writeln!(out, "#### {title}");
        for change in changes {
            let _ = write!(out, "- {}: {}", change.location, change.summary);
            if let Some(note) = &change.note {
                let _ = write!(out, " ({note})");
            }
            out.push('\n');
        }
        out.push('\n');
    }
    out
}

#[derive(PartialEq, Eq)]
enum Group {
    Added,
    Changed,
    Removed,
}

fn group(kind: Kind) -> Group {
    use Kind::*;
    match kind {
        OperationAdded | ParameterAdded | RequestBodyAdded | ResponseAdded | MediaTypeAdded
        | EnumValuesAdded | PropertyAdded | SchemaAdded | ProblemTypeAdded => Group::Added,
        OperationRemoved | ParameterRemoved | RequestBodyRemoved | ResponseRemoved
        | MediaTypeRemoved | EnumValuesRemoved | PropertyRemoved | SchemaRemoved
        | ProblemTypeRemoved => Group::Removed,
        _ => Group::Changed,
    }
}

/// Today's date (UTC) as `YYYY-MM-DD`, for the section heading.
pub fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    civil_date(secs / 86_400)
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
/// `civil_from_days`).
fn civil_date(days: u64) -> String {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{Section, Summary};

    fn change(kind: Kind, location: &str, breaking: bool) -> Change {
        Change {
            section: Section::Schemas,
            kind,
            location: location.into(),
            summary: "s".into(),
            old: None,
            new: None,
            breaking,
            note: None,
        }
    }

    #[test]
    fn dates_are_civil() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(19_782), "2024-02-29");
        assert_eq!(civil_date(20_789), "2026-12-02");
    }

    #[test]
    fn the_draft_moves_unreleased_notes_and_lists_spec_changes() {
        let changelog =
            "# Changelog\n\nintro\n\n## [Unreleased]\n\n### Fixed\n- a fix\n\n## [0.0.9]\n- old\n";
        let report = Report {
            old_version: Some("2.167".into()),
            new_version: Some("2.168".into()),
            summary: Summary {
                changes: 2,
                breaking: 1,
            },
            changes: vec![
                change(Kind::PropertyRenamed, "Connection.id", true),
                change(
                    Kind::ParameterAdded,
                    "GET /2/connections query:since",
                    false,
                ),
            ],
        };
        let after = draft(changelog, "xconn 0.2.0", &report, &["v".into()]).unwrap();
        assert_eq!(
            after,
            "# Changelog\n\nintro\n\n## [Unreleased]\n\n## xconn 0.2.0\n\n- v\n\n\
             ### Fixed\n- a fix\n\n\
             ### X API spec 2.167 -> 2.168 (drafted by `cargo xtask release` from `cargo xtask diff`: edit)\n\n\
             #### Breaking\n- Connection.id: s\n\n\
             #### Added\n- GET /2/connections query:since: s\n\n\
             ## [0.0.9]\n- old\n"
        );
        let again = draft(&after, "xconn 0.2.0", &report, &[]).unwrap_err();
        assert!(again.to_string().contains("already has"), "{again}");
        assert!(draft("# none\n", "x", &report, &[]).is_err());
    }
}
