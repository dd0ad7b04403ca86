//! Data files are the owner's alone: the central and tenant databases, the local key and the
//! payment proofs hold phone numbers, orders and sealed tokens. The process creates files
//! `0600` and directories `0700` (umask `077`, set before anything is opened), and at start
//! takes group and other access away from what an older version left under the data
//! directory (they were `0644`).

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

/// Deepest level of the data directory that is tightened at start (tenants and proofs sit a
/// few levels down: `stores/<id>/proofs/<order>/<file>`).
const MAX_DEPTH: usize = 8;

/// Sets the umask to `077` and tightens what is already under `data_dir`. Problems are logged,
/// never fatal (a read-only mount must still serve).
pub fn private_by_default(data_dir: &Path) {
    rustix::process::umask(rustix::fs::Mode::from_bits_truncate(0o077));
    tighten(data_dir, 0);
}

fn tighten(path: &Path, depth: usize) {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return;
    };
    if meta.file_type().is_symlink() {
        return;
    }
    let mode = meta.permissions().mode();
    if mode & 0o077 != 0 {
        let private = mode & 0o700;
        if let Err(e) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(private)) {
            tracing::warn!(path = %path.display(), error = %e, "data file left readable by others");
        }
    }
    if meta.is_dir() && depth < MAX_DEPTH {
        let Ok(entries) = std::fs::read_dir(path) else {
            return;
        };
        for entry in entries.flatten() {
            tighten(&entry.path(), depth + 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_an_older_version_left_is_made_private() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let sub = dir.path().join("stores/a/proofs");
        std::fs::create_dir_all(&sub).unwrap_or_else(|e| panic!("{e}"));
        let file = sub.join("p.jpg");
        std::fs::write(&file, b"x").unwrap_or_else(|e| panic!("{e}"));
        for p in [dir.path(), sub.as_path(), file.as_path()] {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755))
                .unwrap_or_else(|e| panic!("{e}"));
        }
        tighten(dir.path(), 0);
        let mode = |p: &Path| {
            std::fs::metadata(p)
                .map(|m| m.permissions().mode() & 0o777)
                .unwrap_or(0)
        };
        assert_eq!(mode(dir.path()), 0o700);
        assert_eq!(mode(&sub), 0o700);
        // The owner's bits are kept (rwx from 0755), group and other's are gone.
        assert_eq!(mode(&file), 0o700);
    }
}
