use super::retry::{backoff, strip_debug};
use super::*;
use std::time::Duration;

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

#[test]
fn explicit_credentials_keep_the_secret_out_of_debug() {
    let settings = S3Settings {
        credentials: Some(S3Credentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI-secret".into(),
        }),
        ..S3Settings::default()
    };
    let text = format!("{settings:?}");
    assert!(text.contains("AKIDEXAMPLE"), "{text}");
    assert!(!text.contains("wJalrXUtnFEMI"), "{text}");
}
