//! The retry policy: which failed attempts are worth another try, with what message, and how
//! long to wait first. Kept apart from the request code so the policy can be read (and tested)
//! in one place; the message text never carries credentials or the SDK's `Debug` dumps.

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

/// One failed attempt: worth another try or not.
pub(super) enum Failure {
    Retry(String),
    Fatal(String),
}

/// Sorts an SDK error into retry-or-not with a message free of secrets.
pub(super) fn classify<E>(
    err: SdkError<E, aws_smithy_runtime_api::http::Response>,
    op: &str,
) -> Failure
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
pub(super) fn strip_debug(text: &str) -> &str {
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
pub(super) fn backoff(attempt: u32) -> Duration {
    let base = 100u64.saturating_mul(1 << attempt.min(16)).min(10_000);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(attempt);
    let jitter = h.finish() % 1000;
    Duration::from_millis(base / 2 + base * jitter / 2000)
}
