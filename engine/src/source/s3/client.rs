//! Building the SDK client from [`S3Settings`]: region chain, timeouts, path style, an extra CA
//! bundle. The SDK's own retries are off here because [`super::S3Store`] retries and counts them.

use super::S3Settings;
use std::time::Duration;

/// The S3 client for `settings`, built on `rt`; no request is sent yet.
pub(super) fn build(
    rt: &tokio::runtime::Runtime,
    settings: &S3Settings,
) -> Result<aws_sdk_s3::Client, String> {
    let http = match &settings.ca_bundle {
        None => None,
        Some(path) => Some(https_client_with_ca(path)?),
    };
    Ok(rt.block_on(async {
        use aws_config::meta::region::RegionProviderChain;
        // Flag or config, then AWS_REGION, then the profile; no IMDS lookup off EC2.
        let region = RegionProviderChain::first_try(
            settings.region.clone().map(aws_sdk_s3::config::Region::new),
        )
        .or_else(aws_config::environment::EnvironmentVariableRegionProvider::new())
        .or_else(aws_config::profile::ProfileFileRegionProvider::new())
        .or_else("us-east-1");
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest()).region(region);
        if let Some(http) = http {
            loader = loader.http_client(http);
        }
        if let Some(c) = &settings.credentials {
            loader = loader.credentials_provider(aws_credential_types::Credentials::new(
                c.access_key_id.clone(),
                c.secret_access_key.clone(),
                None,
                None,
                "ocp-summary-static",
            ));
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
    }))
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
