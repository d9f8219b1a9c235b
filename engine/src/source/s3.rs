//! An S3 bucket (AWS, MinIO, Ceph RGW, ODF, ...) as an [`ObjectStore`].
//!
//! The pipeline is synchronous, so the store owns one multi-thread tokio runtime and every call
//! blocks on it; worker threads call [`ObjectStore::get_range`] concurrently, and a semaphore
//! bounds the requests in flight. Retries are ours, not the SDK's, so they can be counted:
//! timeouts, connection failures, 5xx, 429/SlowDown and short bodies are retried with exponential
//! backoff and jitter; authentication and not-found errors fail at once, naming bucket and key.
//! Credentials come from the AWS default chain (environment, profile, SSO, ...) and never appear
//! in messages.

use super::{ObjectMeta, ObjectStore, SourceError};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use bytes::Bytes;
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::ops::Range;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Connection settings; nothing secret lives here (credentials come from the AWS chain).
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
}

pub const DEFAULT_CONCURRENCY: usize = 16;
pub const DEFAULT_RETRIES: u32 = 5;

impl Default for S3Settings {
    fn default() -> Self {
        S3Settings {
            endpoint: None,
            region: None,
            path_style: false,
            ca_bundle: None,
            concurrency: DEFAULT_CONCURRENCY,
            retries: DEFAULT_RETRIES,
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
    pub stats: S3Stats,
}

/// One failed attempt: worth another try or not.
enum Failure {
    Retry(String),
    Fatal(String),
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
        let http = match &settings.ca_bundle {
            None => None,
            Some(path) => Some(https_client_with_ca(path)?),
        };
        let client = rt.block_on(async {
            use aws_config::meta::region::RegionProviderChain;
            // Flag or config, then AWS_REGION, then the profile; no IMDS lookup off EC2.
            let region = RegionProviderChain::first_try(
                settings.region.clone().map(aws_sdk_s3::config::Region::new),
            )
            .or_else(aws_config::environment::EnvironmentVariableRegionProvider::new())
            .or_else(aws_config::profile::ProfileFileRegionProvider::new())
            .or_else("us-east-1");
            let mut loader =
                aws_config::defaults(aws_config::BehaviorVersion::latest()).region(region);
            if let Some(http) = http {
                loader = loader.http_client(http);
            }
            let shared = loader.load().await;
            let mut conf = aws_sdk_s3::config::Builder::from(&shared)
                .force_path_style(settings.path_style)
                .retry_config(aws_smithy_types::retry::RetryConfig::disabled())
                .timeout_config(
                    aws_smithy_types::timeout::TimeoutConfig::builder()
                        .connect_timeout(Duration::from_secs(10))
                        .read_timeout(Duration::from_secs(30))
                        .operation_attempt_timeout(Duration::from_secs(120))
                        .build(),
                )
                // Older S3-compatible servers reject the new default checksum trailers.
                .request_checksum_calculation(
                    aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired,
                )
                .response_checksum_validation(
                    aws_sdk_s3::config::ResponseChecksumValidation::WhenRequired,
                );
            if let Some(endpoint) = &settings.endpoint {
                conf = conf.endpoint_url(endpoint);
            }
            aws_sdk_s3::Client::from_conf(conf.build())
        });
        Ok(S3Store {
            rt,
            client,
            bucket,
            prefix,
            permits: Arc::new(tokio::sync::Semaphore::new(settings.concurrency.max(1))),
            retries: settings.retries,
            footer_max: Default::default(),
            stats: S3Stats::default(),
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
        let mut attempt = 0u32;
        loop {
            let permits = self.permits.clone();
            let result = self.rt.block_on(async {
                let _permit = permits
                    .acquire_owned()
                    .await
                    .expect("semaphore never closed");
                op().await
            });
            self.stats.requests.fetch_add(1, Ordering::Relaxed);
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
            if attempt >= self.retries {
                return Err(SourceError::Remote {
                    location: location.to_string(),
                    message: format!("gave up after {} attempts; last error: {why}", attempt + 1),
                });
            }
            tracing::warn!(location, attempt, error = %why, "S3 request failed; retrying");
            self.stats.retries.fetch_add(1, Ordering::Relaxed);
            std::thread::sleep(backoff(attempt));
            attempt += 1;
        }
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
    ) -> Result<aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Output, SourceError> {
        let location = format!("s3://{}/{full_prefix}", self.bucket);
        self.call(&location, || {
            let req = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(full_prefix)
                .set_continuation_token(token.clone())
                .set_max_keys(max_keys);
            async move { req.send().await.map_err(|e| classify(e, "ListObjectsV2")) }
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

impl ObjectStore for S3Store {
    fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, SourceError> {
        let full_prefix = self.full_key(prefix);
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let page = self.list_page(&full_prefix, token, None)?;
            for object in page.contents() {
                let (Some(key), Some(size)) = (object.key(), object.size()) else {
                    continue;
                };
                if key.ends_with('/') {
                    continue; // a folder marker
                }
                let key = key.strip_prefix(&self.prefix).unwrap_or(key);
                out.push(ObjectMeta {
                    key: key.to_string(),
                    size: size.max(0) as u64,
                });
            }
            match page.next_continuation_token() {
                Some(t) if page.is_truncated() == Some(true) => token = Some(t.to_string()),
                _ => break,
            }
        }
        out.sort();
        Ok(out)
    }

    fn prefix_exists(&self, prefix: &str) -> Result<bool, SourceError> {
        let page = self.list_page(&self.full_key(prefix), None, Some(1))?;
        Ok(!page.contents().is_empty())
    }

    fn get_range(&self, key: &str, range: Range<u64>) -> Result<Bytes, SourceError> {
        let location = self.describe(key);
        if range.start > range.end {
            return Err(SourceError::OutOfRange {
                location,
                start: range.start,
                end: range.end,
                size: 0,
            });
        }
        let want = range.end - range.start;
        if want == 0 {
            return Ok(Bytes::new());
        }
        let full = self.full_key(key);
        let header = format!("bytes={}-{}", range.start, range.end - 1);
        let body = self.call(&location, || {
            let req = self
                .client
                .get_object()
                .bucket(&self.bucket)
                .key(&full)
                .range(&header);
            async move {
                let resp = req.send().await.map_err(|e| classify(e, "GetObject"))?;
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
        })?;
        self.stats.bytes.fetch_add(want, Ordering::Relaxed);
        Ok(body)
    }

    fn describe(&self, key: &str) -> String {
        format!("s3://{}/{}{key}", self.bucket, self.prefix)
    }

    fn footer_tail(&self, key: &str) -> u64 {
        // The files of one partition folder (one table) have similar footers: after the first,
        // read the largest footer seen there plus a margin, which wastes little and rarely needs a
        // second request. 4 KiB covers the first footer of most of Koku's files.
        let folder = key.rsplit_once('/').map_or("", |(f, _)| f);
        match self.footer_max.lock().expect("not poisoned").get(folder) {
            None => 4 * 1024,
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
}

/// Sorts an SDK error into retry-or-not with a message free of secrets.
fn classify<E>(err: SdkError<E, aws_smithy_runtime_api::http::Response>, op: &str) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match &err {
        SdkError::ServiceError(ctx) => {
            let status = ctx.raw().status().as_u16();
            let code = ctx.err().code().unwrap_or("").to_string();
            let detail = if code.is_empty() {
                format!("HTTP {status}")
            } else {
                format!("{code}, HTTP {status}")
            };
            match code.as_str() {
                "InvalidAccessKeyId"
                | "SignatureDoesNotMatch"
                | "InvalidToken"
                | "ExpiredToken"
                | "TokenRefreshRequired"
                | "AuthorizationHeaderMalformed" => {
                    return Failure::Fatal(format!(
                        "{op}: authentication failed ({detail}); check the access key and \
                         secret (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_PROFILE)"
                    ))
                }
                "NoSuchBucket" => {
                    return Failure::Fatal(format!("{op}: the bucket does not exist ({detail})"))
                }
                "NoSuchKey" => {
                    return Failure::Fatal(format!("{op}: the object does not exist ({detail})"))
                }
                "SlowDown"
                | "RequestTimeout"
                | "InternalError"
                | "ServiceUnavailable"
                | "Throttling"
                | "ThrottlingException"
                | "RequestTimeTooSkewed" => return Failure::Retry(format!("{op}: {detail}")),
                _ => {}
            }
            match status {
                401 | 403 => Failure::Fatal(format!(
                    "{op}: access denied ({detail}); check the credentials and the bucket policy"
                )),
                404 => Failure::Fatal(format!("{op}: not found ({detail})")),
                408 | 429 | 500..=599 => Failure::Retry(format!("{op}: {detail}")),
                _ => Failure::Fatal(format!("{op}: {detail}")),
            }
        }
        SdkError::TimeoutError(_) => Failure::Retry(format!("{op}: timed out")),
        // Missing credentials and bad settings fail at once; network errors are retried.
        SdkError::DispatchFailure(d) if d.is_user() || is_credentials_error(&err) => {
            Failure::Fatal(format!("{op}: {}", chain(&err)))
        }
        SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            Failure::Retry(format!("{op}: {}", chain(&err)))
        }
        _ => Failure::Fatal(format!("{op}: {}", chain(&err))),
    }
}

fn is_credentials_error(err: &dyn std::error::Error) -> bool {
    let mut source = err.source();
    while let Some(e) = source {
        if e.is::<aws_credential_types::provider::error::CredentialsError>() {
            return true;
        }
        source = e.source();
    }
    false
}

/// The error and its causes, by `Display` only: `Debug` output could carry request details.
fn chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(e) = source {
        let text = e.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = e.source();
    }
    strip_debug(&out).to_string()
}

/// Cuts the text at the first ` (Name(` or ` (Name {`: some SDK errors append their `Debug` form.
fn strip_debug(text: &str) -> &str {
    let b = text.as_bytes();
    for (i, _) in text.match_indices(" (") {
        let rest = &b[i + 2..];
        let name = rest
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric())
            .count();
        if name > 0 && rest[0].is_ascii_uppercase() {
            if let Some(&c) = rest.get(name) {
                if c == b'(' || c == b' ' && rest.get(name + 1) == Some(&b'{') {
                    return &text[..i];
                }
            }
        }
    }
    text
}

/// Exponential backoff with jitter: 100 ms · 2^attempt, capped at 10 s, scaled by [0.5, 1).
fn backoff(attempt: u32) -> Duration {
    let base = 100u64.saturating_mul(1 << attempt.min(16)).min(10_000);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(attempt);
    let jitter = h.finish() % 1000;
    Duration::from_millis(base / 2 + base * jitter / 2000)
}

fn https_client_with_ca(
    path: &std::path::Path,
) -> Result<aws_sdk_s3::config::SharedHttpClient, String> {
    use aws_smithy_http_client::tls;
    let pem = std::fs::read(path).map_err(|e| format!("--s3-ca-bundle {}: {e}", path.display()))?;
    let trust = tls::TrustStore::default().with_pem_certificate(pem);
    let ctx = tls::TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .map_err(|e| format!("--s3-ca-bundle {}: {e}", path.display()))?;
    Ok(aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::AwsLc,
        ))
        .tls_context(ctx)
        .build_https())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_bucket_and_prefix() {
        assert_eq!(parse_url("s3://b"), Some(("b".into(), "".into())));
        assert_eq!(parse_url("s3://b/"), Some(("b".into(), "".into())));
        assert_eq!(parse_url("s3://b/p/q/"), Some(("b".into(), "p/q/".into())));
        assert_eq!(parse_url("s3:///p"), None);
        assert_eq!(parse_url("/local"), None);
    }

    #[test]
    fn debug_tails_are_cut() {
        assert_eq!(
            strip_debug("io error: refused (DispatchFailure(X { a })) "),
            "io error: refused"
        );
        assert_eq!(strip_debug("x (Foo { a: 1 })"), "x");
        assert_eq!(strip_debug("HTTP 503 (SlowDown)"), "HTTP 503 (SlowDown)");
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!(backoff(0) >= Duration::from_millis(50) && backoff(0) < Duration::from_millis(100));
        assert!(backoff(3) >= Duration::from_millis(400));
        assert!(backoff(30) <= Duration::from_secs(10));
    }
}
