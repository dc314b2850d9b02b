//! Access to the RFC 4475 / RFC 5118 torture messages in `../shared/sip-torture`.

use std::path::PathBuf;

/// One torture message.
pub struct Case {
    /// File stem, e.g. `wsinv`.
    pub name: String,
    /// `rfc4475` or `rfc5118`.
    pub suite: &'static str,
    /// The bytes, exactly as in the file.
    pub bytes: Vec<u8>,
}

/// The corpus folder: `$DCE_SIP_TORTURE`, else `<repo>/../shared/sip-torture`.
fn dir() -> PathBuf {
    match std::env::var_os("DCE_SIP_TORTURE") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/sip-torture"),
    }
}

/// Every `.dat` message, sorted by suite then name; `None` (after saying
/// so) when the folder is absent. Under CI (`CI=true`) absence fails.
pub fn load() -> Option<Vec<Case>> {
    let root = dir();
    if !root.is_dir() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!(
                "../shared/sip-torture not found at {} and CI=true",
                root.display()
            );
        }
        println!("skipped: ../shared/sip-torture not found");
        return None;
    }
    let mut out = Vec::new();
    for suite in ["rfc4475", "rfc5118"] {
        let mut entries: Vec<_> = std::fs::read_dir(root.join(suite))
            .unwrap_or_else(|e| panic!("{suite}: {e}"))
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "dat"))
            .collect();
        entries.sort();
        for p in entries {
            let name = p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            out.push(Case { name, suite, bytes });
        }
    }
    Some(out)
}
