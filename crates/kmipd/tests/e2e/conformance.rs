//! The OASIS profile test cases, replayed over mutual TLS against kmipd.
//!
//! Prints `N passed, N failed` per profile and version. A case that fails must be listed, with
//! its reason, in `tests/conformance/known-failures.txt`; a listed case that passes must be
//! taken off the list. Either change fails this test, so the list (and the README's table,
//! made from this output) stays true.

use std::collections::{BTreeMap, BTreeSet};

use kmip_test_support::conformance::run_case;
use kmip_test_support::{profile_files, repo_root};

use crate::support::kmipd;

/// The profile a case belongs to: its name without the case number and version
/// (`CS-BC-M-GCM-2-14` → `CS-BC-M-GCM`), with the version (`1.4`).
fn profile(case: &str) -> (String, String) {
    let parts: Vec<&str> = case.split('-').collect();
    let version = parts.last().map_or(String::new(), |v| format!("{}.{}", &v[..1], &v[1..]));
    let name: Vec<&str> = parts[..parts.len().saturating_sub(2)].to_vec();
    // The number sits before the version, except in `CS-BC-M-GCM-1-14`-style names where a
    // suffix follows the M/O letter: strip the number wherever it is.
    let name = name.iter().filter(|p| p.parse::<u32>().is_err()).cloned().collect::<Vec<_>>().join("-");
    (name, version)
}

fn known_failures() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(repo_root().join("tests/conformance/known-failures.txt")).unwrap_or_default();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (case, reason) = l.split_once(char::is_whitespace).unwrap_or((l, ""));
            (case.to_owned(), reason.trim().to_owned())
        })
        .collect()
}

#[test]
fn oasis_profile_test_cases() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = kmipd(&dir);
    let known = known_failures();
    let mut table: BTreeMap<(String, String), (u32, u32)> = BTreeMap::new();
    let mut surprises = Vec::new();
    let mut failed_cases = BTreeSet::new();
    for path in profile_files() {
        let mut client = server.client("client");
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
        let result = run_case(&path, &mut client, now);
        let entry = table.entry(profile(&result.name)).or_default();
        match (&result.failure, known.contains_key(&result.name)) {
            (None, false) => entry.0 += 1,
            (None, true) => {
                entry.0 += 1;
                surprises.push(format!("{} now passes: take it off known-failures.txt", result.name));
            }
            (Some(why), listed) => {
                entry.1 += 1;
                failed_cases.insert(result.name.clone());
                if std::env::var_os("CONFORMANCE_VERBOSE").is_some() || !listed {
                    println!("FAILED {}: {why}\n", result.name);
                }
                if !listed {
                    surprises.push(format!("{} fails and is not in known-failures.txt", result.name));
                }
            }
        }
    }
    println!("\nconformance (profile, version): passed, failed");
    let (mut passed, mut failed) = (0, 0);
    for ((name, version), (p, f)) in &table {
        println!("{name} {version}: {p} passed, {f} failed");
        passed += p;
        failed += f;
    }
    println!("all profiles: {passed} passed, {failed} failed");
    assert!(surprises.is_empty(), "{surprises:#?}");
}
