//! `ocp-summary check PATH...`: decode every column of Parquet files and report what is wrong.
//!
//! Operators can vet a bucket dump or a suspicious upload before a run touches the database.
//! Folders are searched for `*.parquet`; each file gets one line, and the exit code is 2 if any
//! file fails.

use crate::decode::probe::probe_object;
use crate::error::{Error, InputError};
use crate::source::local::LocalStore;
use crate::source::ObjectStore;

/// Checks every Parquet file under `paths`, printing one line per file to stdout.
pub fn check_paths(paths: &[std::path::PathBuf]) -> Result<(), Error> {
    let mut bad = 0usize;
    let mut files = 0usize;
    for path in paths {
        let (store, keys) = if path.is_dir() {
            let store = LocalStore::new(path);
            let keys = store
                .list("")?
                .into_iter()
                .filter(|o| o.key.ends_with(".parquet"))
                .collect::<Vec<_>>();
            (store, keys)
        } else {
            let parent = path.parent().unwrap_or(std::path::Path::new("."));
            let store = LocalStore::new(parent);
            let name = path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .to_string();
            let size = std::fs::metadata(path)
                .map_err(|e| Error::options(format!("{}: {e}", path.display())))?
                .len();
            let keys = vec![crate::source::ObjectMeta { key: name, size }];
            (store, keys)
        };
        for object in keys {
            files += 1;
            match probe_object(&store, &object) {
                Ok(s) => println!(
                    "ok   {}  row groups {}  rows {}  columns {}",
                    store.describe(&object.key),
                    s.row_groups,
                    s.rows,
                    s.columns
                ),
                Err(e) => {
                    bad += 1;
                    println!("FAIL {}", e.detail());
                }
            }
        }
    }
    println!("{files} files checked, {bad} failed");
    if bad > 0 {
        return Err(Error::Input(InputError::Data(format!(
            "{bad} of {files} files failed the check"
        ))));
    }
    Ok(())
}
