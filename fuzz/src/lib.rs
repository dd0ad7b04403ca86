//! Invariants of the webhook entry path, shared by the two fuzz targets and by the replay
//! tests (`cargo test --manifest-path fuzz/Cargo.toml`, stable toolchain, no libFuzzer).
//!
//! The sequence mirrors `crates/app/src/http/webhook.rs` (`receive_inner`) without HTTP or a
//! database: body size cap → `verify_signature` → `parse_webhook` → one
//! `NewInboxEvent::from_event` per event (or one `NewInboxEvent::malformed` row for a signed
//! body that is not a webhook). Every check panics with a message naming the invariant, which
//! libFuzzer reports as a crash.
//!
//! One module per target (`signature.rs`: target 1, `batch_walker.rs`: target 2) and one for
//! the checks both run on a parsed body and its inbox rows (`invariants.rs`); this file holds
//! the harness's constants, its strictness switch and the replay tests.

mod batch_walker;
mod invariants;
mod signature;

use std::sync::OnceLock;

use chrono::{DateTime, Utc};

pub use batch_walker::batch_walker;
pub use invariants::check_parse_and_rows;
pub use signature::signature_and_parse;

/// `pipeline.max_body_bytes` of `config/default.toml` (actix's `PayloadConfig` limit, applied
/// before the handler runs).
pub const MAX_BODY_BYTES: usize = 3 * 1024 * 1024;

/// The app secret the harness signs with by default (first in the list, like the current one).
pub const CURRENT_SECRET: &[u8] = b"fuzz-current-app-secret";
/// The secret of a rotation in progress (second in the list).
pub const PREVIOUS_SECRET: &[u8] = b"fuzz-previous-app-secret";

/// Whether the findings reported in docs/fuzzing.md ("Findings") are fatal: yes, since they are
/// fixed in the product (F1 serde_json `float_roundtrip`, F2 empty contact ids, F3 escaped
/// dedupe-key parts, F4 indexed contacts), so `regressions/` replays them strictly.
/// `OMNI_FUZZ_LENIENT=1` lets their exact shapes through again, for fuzzing an older tree.
/// - F1: a number re-read from the stored payload differs from the parsed one in its last
///   binary digits (serde_json without `float_roundtrip`).
/// - F2: a message whose sender identity is `Some("")` (an empty `wa_id` / `user_id` of the
///   matching contact).
/// - F3: two different events share a dedupe key because an id, field or status contains
///   `:`, the key's separator.
pub fn strict() -> bool {
    static STRICT: OnceLock<bool> = OnceLock::new();
    *STRICT.get_or_init(|| std::env::var_os("OMNI_FUZZ_LENIENT").is_none_or(|v| v == "0"))
}

/// The fixed "now" of the harness (the handler reads its clock after the signature check).
pub(crate) fn received_at() -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_763_906_000, 0).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    //! Replays every committed regression and corpus file through both targets (stable
    //! toolchain, no libFuzzer): `cargo test --manifest-path fuzz/Cargo.toml`.

    use std::path::Path;

    /// Runs `target` on every file of `dir` (but `*.md`); returns how many ran and which failed.
    fn replay(dir: &str, target: fn(&[u8])) -> (usize, Vec<String>) {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        let Ok(read) = std::fs::read_dir(&dir) else {
            return (0, Vec::new());
        };
        let mut files: Vec<_> = read.filter_map(Result::ok).map(|e| e.path()).collect();
        files.sort();
        let mut failed = Vec::new();
        let mut n = 0;
        for path in files.iter().filter(|p| p.is_file()) {
            if path.extension().is_some_and(|e| e == "md") {
                continue;
            }
            let Ok(data) = std::fs::read(path) else {
                continue;
            };
            n += 1;
            if std::panic::catch_unwind(|| target(&data)).is_err() {
                failed.push(path.display().to_string());
            }
        }
        (n, failed)
    }

    fn check(target_name: &str, target: fn(&[u8])) {
        let (a, mut failed) = replay(&format!("corpus/{target_name}"), target);
        let (b, more) = replay(&format!("regressions/{target_name}"), target);
        failed.extend(more);
        assert!(a + b > 0, "no input replayed");
        assert!(failed.is_empty(), "failing inputs:\n{}", failed.join("\n"));
    }

    #[test]
    fn signature_and_parse_corpus_and_regressions() {
        check("webhook_signature_and_parse", super::signature_and_parse);
    }

    #[test]
    fn batch_walker_corpus_and_regressions() {
        check("webhook_batch_walker", super::batch_walker);
    }
}
