//! An S3 bucket (AWS, MinIO, Ceph RGW, ODF, ...) as an [`ObjectStore`].
//!
//! The pipeline is synchronous, so the store owns one multi-thread tokio runtime and every call
//! blocks on it; worker threads call [`ObjectStore::get_range`] concurrently, and a semaphore
//! bounds the requests in flight. Retries are ours, not the SDK's, so they can be counted:
//! timeouts, connection failures, 5xx, 429/SlowDown and short bodies are retried with exponential
//! backoff and jitter; authentication and not-found errors fail at once, naming bucket and key.
//! Credentials come from the AWS default chain (environment, profile, SSO, ...), or from
//! [`S3Settings::credentials`] when a library caller gives a static key pair, and never appear in
//! messages.
//!
//! This file is the store itself. Judging a failed attempt and the wait before the next one are in
//! `retry`, and building the SDK client from [`S3Settings`] is in `client`, so the request code
//! reads without the SDK's configuration and error types in the way.

mod client;
mod retry;

use super::readahead::PendingRange;
use super::{ObjectMeta, ObjectStore, SourceError};
use aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Output;
use bytes::Bytes;
use retry::{backoff, classify, Failure};
use std::future::Future;
use std::ops::ControlFlow;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Connection settings. Credentials come from the AWS chain unless [`S3Settings::credentials`]
/// gives them; the secret is never printed (its `Debug` is redacted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Settings {
    /// Endpoint URL (MinIO, RGW, ...); `None`: AWS, or `AWS_ENDPOINT_URL[_S3]`.
    pub endpoint: Option<String>,
    /// `None`: `AWS_REGION` / the profile, else `us-east-1`.
    pub region: Option<String>,
    /// Path-style addressing (`endpoint/bucket/key`), which MinIO and RGW need.
    pub path_style: bool,
    /// Extra PEM CA certificates trusted besides the system roots.
    pub ca_bundle: Option<PathBuf>,
    /// Requests in flight at most.
    pub concurrency: usize,
    /// Retries per request after the first attempt.
    pub retries: u32,
    /// Row groups whose reads start ahead of the one being decoded (0: none); the reads ahead
    /// also stay within `concurrency` requests and a share of the memory limit.
    pub read_ahead: usize,
    /// Explicit static credentials (the Python package's `S3_ACCESS_KEY` / `S3_SECRET`), used
    /// instead of the AWS chain; `None`: the chain (environment, profile, SSO, ...).
    pub credentials: Option<S3Credentials>,
}

/// A static access key pair. `Debug` shows the key id only.
#[derive(Clone, PartialEq, Eq)]
pub struct S3Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl std::fmt::Debug for S3Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .finish()
    }
}

/// Requests in flight at most. With 20 ms per request (a round trip to S3), 16 left the L month
/// waiting on latency: 3.19 s against 2.42 s at 64 (medians of 5 in turns, `bench_s3.py`'s
/// proxy, read-ahead 16). 128 puts the month's 118 footers in one wave instead of two: 1.36
/// against 1.47 s (5 runs in turns, `sendfile_s3.py` with 20 ms). S3 serves thousands of GETs a
/// second per prefix; lower it for a store that throttles.
pub const DEFAULT_CONCURRENCY: usize = 128;
pub const DEFAULT_RETRIES: u32 = 5;
/// Row groups read ahead; 16 with 64 requests measured as well as 32 (2.42 against 2.47 s).
pub const DEFAULT_READ_AHEAD: usize = 16;

impl Default for S3Settings {
    fn default() -> Self {
        S3Settings {
            endpoint: None,
            region: None,
            path_style: false,
            ca_bundle: None,
            concurrency: DEFAULT_CONCURRENCY,
            retries: DEFAULT_RETRIES,
            read_ahead: DEFAULT_READ_AHEAD,
            credentials: None,
        }
    }
}

/// `s3://BUCKET[/PREFIX]` → (bucket, prefix with a trailing `/` or empty).
pub fn parse_url(url: &str) -> Option<(String, String)> {
    let rest = url.strip_prefix("s3://")?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return None;
    }
    let prefix = prefix.trim_matches('/');
    let prefix = if prefix.is_empty() {
        String::new()
    } else {
        format!("{prefix}/")
    };
    Some((bucket.to_string(), prefix))
}

/// Request counters, shown in the run summary.
#[derive(Debug, Default)]
pub struct S3Stats {
    pub requests: AtomicU64,
    pub retries: AtomicU64,
    pub bytes: AtomicU64,
}

pub struct S3Store {
    rt: tokio::runtime::Runtime,
    client: aws_sdk_s3::Client,
    bucket: String,
    prefix: String,
    permits: Arc<tokio::sync::Semaphore>,
    retries: u32,
    /// The largest footer (metadata + 8 bytes) seen per folder, to size the next tail read.
    footer_max: std::sync::Mutex<std::collections::HashMap<String, u64>>,
    pub stats: Arc<S3Stats>,
}

impl S3Store {
    /// Connects to `url` (`s3://BUCKET[/PREFIX]`); no request is sent yet.
    pub fn open(url: &str, settings: &S3Settings) -> Result<S3Store, String> {
        let (bucket, prefix) =
            parse_url(url).ok_or_else(|| format!("{url}: expected s3://BUCKET[/PREFIX]"))?;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("ocp-s3")
            .enable_all()
            .build()
            .map_err(|e| format!("starting the S3 runtime: {e}"))?;
        let client = client::build(&rt, settings)?;
        Ok(S3Store {
            rt,
            client,
            bucket,
            prefix,
            permits: Arc::new(tokio::sync::Semaphore::new(settings.concurrency.max(1))),
            retries: settings.retries,
            footer_max: Default::default(),
            stats: Arc::default(),
        })
    }

    fn full_key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    /// Runs `op` until it succeeds, fails for good, or the retries are spent.
    fn call<T, F, Fut>(&self, location: &str, op: F) -> Result<T, SourceError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, Failure>>,
    {
        self.rt.block_on(attempts(
            &self.permits,
            self.retries,
            &self.stats,
            location,
            op,
        ))
    }

    /// Uploads a local file to `key` (relative to the store prefix).
    pub fn put_file(&self, key: &str, path: &std::path::Path) -> Result<(), SourceError> {
        let body = Bytes::from(std::fs::read(path).map_err(|e| SourceError::Io {
            location: path.display().to_string(),
            source: e,
        })?);
        let full = self.full_key(key);
        let location = self.describe(key);
        self.call(&location, || {
            let body = body.clone();
            let req = self
                .client
                .put_object()
                .bucket(&self.bucket)
                .key(&full)
                .content_length(body.len() as i64)
                .body(aws_sdk_s3::primitives::ByteStream::from(body));
            async move {
                req.send()
                    .await
                    .map(|_| ())
                    .map_err(|e| classify(e, "PutObject"))
            }
        })
    }

    fn list_page(
        &self,
        full_prefix: &str,
        token: Option<String>,
        max_keys: Option<i32>,
        delimiter: Option<&str>,
    ) -> Result<ListObjectsV2Output, SourceError> {
        let location = format!("s3://{}/{full_prefix}", self.bucket);
        self.call(&location, || {
            let req = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(full_prefix)
                .set_continuation_token(token.clone())
                .set_max_keys(max_keys)
                .set_delimiter(delimiter.map(str::to_string));
            async move { req.send().await.map_err(|e| classify(e, "ListObjectsV2")) }
        })
    }

    /// The listing pages of `full_prefix` (grouped at `delimiter` if given), one after another,
    /// until `on_page` breaks or the pages end.
    fn raw_pages(
        &self,
        full_prefix: &str,
        delimiter: Option<&str>,
        mut on_page: impl FnMut(&ListObjectsV2Output) -> ControlFlow<()>,
    ) -> Result<(), SourceError> {
        let mut token = None;
        loop {
            let page = self.list_page(full_prefix, token, None, delimiter)?;
            if on_page(&page).is_break() {
                return Ok(());
            }
            match page.next_continuation_token() {
                Some(t) if page.is_truncated() == Some(true) => token = Some(t.to_string()),
                _ => return Ok(()),
            }
        }
    }

    /// The objects under `prefix` (keys relative to the store prefix, folder markers left out),
    /// a listing page at a time, until `on_page` breaks or the pages end.
    fn pages(
        &self,
        prefix: &str,
        mut on_page: impl FnMut(Vec<ObjectMeta>) -> ControlFlow<()>,
    ) -> Result<(), SourceError> {
        self.raw_pages(&self.full_key(prefix), None, |page| {
            let objects = page.contents().iter().filter_map(|object| {
                let (key, size) = (object.key()?, object.size()?);
                // A key ending in `/` is a folder marker.
                (!key.ends_with('/')).then(|| ObjectMeta {
                    key: key.strip_prefix(&self.prefix).unwrap_or(key).to_string(),
                    size: size.max(0) as u64,
                })
            });
            on_page(objects.collect())
        })
    }

    /// One summary line: requests, retries and bytes fetched.
    pub fn summary(&self) -> String {
        format!(
            "s3 requests {}  retries {}  bytes fetched {}",
            self.stats.requests.load(Ordering::Relaxed),
            self.stats.retries.load(Ordering::Relaxed),
            self.stats.bytes.load(Ordering::Relaxed)
        )
    }
}

/// Runs `op` until it succeeds, fails for good, or the retries are spent: each attempt holds one
/// of `permits` (the `--s3-concurrency` semaphore) and counts as a request; a retryable failure
/// waits [`backoff`] without a permit.
async fn attempts<T, F, Fut>(
    permits: &tokio::sync::Semaphore,
    retries: u32,
    stats: &S3Stats,
    location: &str,
    op: F,
) -> Result<T, SourceError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, Failure>>,
{
    let mut attempt = 0u32;
    loop {
        let result = {
            let _permit = permits.acquire().await.expect("semaphore never closed");
            op().await
        };
        stats.requests.fetch_add(1, Ordering::Relaxed);
        let why = match result {
            Ok(v) => return Ok(v),
            Err(Failure::Fatal(message)) => {
                return Err(SourceError::Remote {
                    location: location.to_string(),
                    message,
                })
            }
            Err(Failure::Retry(why)) => why,
        };
        if attempt >= retries {
            return Err(SourceError::Remote {
                location: location.to_string(),
                message: format!("gave up after {} attempts; last error: {why}", attempt + 1),
            });
        }
        tracing::warn!(location, attempt, error = %why, "S3 request failed; retrying");
        stats.retries.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(backoff(attempt)).await;
        attempt += 1;
    }
}

/// One ranged GET of `want` bytes (`header` is its `Range`); a short body is retryable.
async fn get_once(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    full: &str,
    header: &str,
    want: u64,
) -> Result<Bytes, Failure> {
    let resp = client
        .get_object()
        .bucket(bucket)
        .key(full)
        .range(header)
        .send()
        .await
        .map_err(|e| classify(e, "GetObject"))?;
    let body = resp
        .body
        .collect()
        .await
        .map_err(|e| Failure::Retry(format!("reading the body: {e}")))?
        .into_bytes();
    if body.len() as u64 != want {
        return Err(Failure::Retry(format!(
            "short body: got {} of {want} bytes",
            body.len()
        )));
    }
    Ok(body)
}

/// A checked range: its location, the `Range` header and the byte count, or `Ok(None)` when empty.
fn checked_range(location: &str, range: &Range<u64>) -> Result<Option<(String, u64)>, SourceError> {
    if range.start > range.end {
        return Err(SourceError::OutOfRange {
            location: location.to_string(),
            start: range.start,
            end: range.end,
            size: 0,
        });
    }
    let want = range.end - range.start;
    Ok((want > 0).then(|| (format!("bytes={}-{}", range.start, range.end - 1), want)))
}

impl ObjectStore for S3Store {
    fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, SourceError> {
        let mut out = Vec::new();
        self.pages(prefix, |objects| {
            out.extend(objects);
            ControlFlow::Continue(())
        })?;
        out.sort();
        Ok(out)
    }

    fn any_object_ending(&self, prefix: &str, suffix: &str) -> Result<bool, SourceError> {
        let mut found = false;
        self.pages(prefix, |objects| {
            found = objects.iter().any(|o| o.key.ends_with(suffix));
            match found {
                true => ControlFlow::Break(()),
                false => ControlFlow::Continue(()),
            }
        })?;
        Ok(found)
    }

    /// One listing grouped at `/`: a page lists up to a thousand folders, however many objects
    /// each holds.
    fn list_folders(&self, prefix: &str) -> Result<Vec<String>, SourceError> {
        let full_prefix = self.full_key(prefix);
        let mut out = Vec::new();
        self.raw_pages(&full_prefix, Some("/"), |page| {
            let folders = page.common_prefixes().iter().filter_map(|p| p.prefix());
            out.extend(folders.filter_map(|p| {
                let name = p.strip_prefix(full_prefix.as_str())?.strip_suffix('/')?;
                (!name.is_empty()).then(|| name.to_string())
            }));
            ControlFlow::Continue(())
        })?;
        out.sort();
        out.dedup();
        Ok(out)
    }

    fn prefix_exists(&self, prefix: &str) -> Result<bool, SourceError> {
        let page = self.list_page(&self.full_key(prefix), None, Some(1), None)?;
        Ok(!page.contents().is_empty())
    }

    fn get_range(&self, key: &str, range: Range<u64>) -> Result<Bytes, SourceError> {
        let location = self.describe(key);
        let Some((header, want)) = checked_range(&location, &range)? else {
            return Ok(Bytes::new());
        };
        let full = self.full_key(key);
        let body = self.call(&location, || {
            get_once(&self.client, &self.bucket, &full, &header, want)
        })?;
        self.stats.bytes.fetch_add(want, Ordering::Relaxed);
        Ok(body)
    }

    fn start_range(&self, key: &str, range: Range<u64>) -> Option<PendingRange> {
        let location = self.describe(key);
        let (tx, pending) = PendingRange::channel(location.clone());
        let (header, want) = match checked_range(&location, &range) {
            Ok(Some(checked)) => checked,
            Ok(None) => {
                tx.send(Ok(Bytes::new()));
                return Some(pending);
            }
            Err(e) => {
                tx.send(Err(e));
                return Some(pending);
            }
        };
        let (client, bucket, full) = (self.client.clone(), self.bucket.clone(), self.full_key(key));
        let (permits, stats, retries) = (self.permits.clone(), self.stats.clone(), self.retries);
        self.rt.spawn(async move {
            let op = || get_once(&client, &bucket, &full, &header, want);
            let result = attempts(&permits, retries, &stats, &location, op).await;
            if result.is_ok() {
                stats.bytes.fetch_add(want, Ordering::Relaxed);
            }
            tx.send(result);
        });
        Some(pending)
    }

    fn describe(&self, key: &str) -> String {
        format!("s3://{}/{}{key}", self.bucket, self.prefix)
    }

    fn footer_tail(&self, key: &str) -> u64 {
        // The files of one partition folder (one table) have similar footers: once one is read,
        // read the largest footer seen there plus a margin, which wastes little and rarely needs a
        // second request. A table's footers are read all at once, so the first guess serves the
        // whole table: 16 KiB covers the footers of Koku's files (one row group; the L month's
        // hourly pod files have 5.7 KiB), where 4 KiB cost the hourly table a second round trip.
        let folder = key.rsplit_once('/').map_or("", |(f, _)| f);
        match self.footer_max.lock().expect("not poisoned").get(folder) {
            None => 16 * 1024,
            Some(&max) => (max + max / 8 + 256).min(1024 * 1024),
        }
    }

    fn merge_gap(&self) -> u64 {
        // A request costs a round trip; 64 KiB of unneeded bytes cost less on most links.
        64 * 1024
    }

    fn footer_seen(&self, key: &str, len: u64) {
        let folder = key.rsplit_once('/').map_or("", |(f, _)| f);
        let mut map = self.footer_max.lock().expect("not poisoned");
        let max = map.entry(folder.to_string()).or_insert(0);
        *max = (*max).max(len);
    }

    fn summary(&self) -> Option<String> {
        Some(S3Store::summary(self))
    }

    fn retries(&self) -> u64 {
        self.stats.retries.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests;
