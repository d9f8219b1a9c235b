//! `generate --out s3://BUCKET[/PREFIX]`: generate into a temporary folder, then upload every file
//! with PutObject under the same relative keys, so S3 benchmarks are one command.

use super::{GenerateArgs, GenerateSummary};
use anyhow::{anyhow, Context};
use ocp_summary_engine::source::local::LocalStore;
use ocp_summary_engine::source::s3::S3Store;
use ocp_summary_engine::source::ObjectStore;

/// Runs the generator; an `s3://` output is generated locally first and then uploaded.
pub fn run(args: &GenerateArgs) -> anyhow::Result<GenerateSummary> {
    let out = args.out.to_string_lossy().to_string();
    if !out.starts_with("s3://") {
        return super::run(args);
    }
    let store = S3Store::open(&out, &args.s3.settings(Default::default()))
        .map_err(|e| anyhow!("--out {out}: {e}"))?;
    let tmp = std::env::temp_dir().join(format!("ocp-summary-generate-{}", std::process::id()));
    let mut local = args.clone();
    local.out = tmp.clone();
    local.force = true;
    let result = generate_and_upload(&local, &store, &tmp);
    let _ = std::fs::remove_dir_all(&tmp);
    let mut summary = result?;
    summary.out = args.out.clone();
    eprintln!("{}", store.summary());
    Ok(summary)
}

fn generate_and_upload(
    args: &GenerateArgs,
    store: &S3Store,
    tmp: &std::path::Path,
) -> anyhow::Result<GenerateSummary> {
    let summary = super::run(args)?;
    let files = LocalStore::new(tmp).list("")?;
    let next = std::sync::atomic::AtomicUsize::new(0);
    let first_err = std::sync::Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(f) = files.get(i) else { break };
                if let Err(e) = store.put_file(&f.key, &tmp.join(&f.key)) {
                    first_err.lock().unwrap().get_or_insert(e);
                    break;
                }
            });
        }
    });
    if let Some(e) = first_err.into_inner().unwrap() {
        return Err(e).context("uploading the generated files");
    }
    Ok(summary)
}
