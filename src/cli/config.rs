//! The optional TOML config file for `run`. Keys are the flag names with `_` for `-`.

use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub input: Option<String>,
    pub org: Option<String>,
    pub source: Option<String>,
    pub year: Option<i32>,
    pub month: Option<u32>,
    pub start: Option<String>,
    pub end: Option<String>,
    pub cluster_id: Option<String>,
    pub cluster_alias: Option<String>,
    pub report_period_id: Option<i32>,
    pub enabled_keys: Option<Vec<String>>,
    pub no_enabled_keys: Option<bool>,
    pub cost_categories: Option<Vec<String>>,
    pub node_roles: Option<Vec<String>>,
    pub derive_node_roles: Option<bool>,
    pub pod_only: Option<bool>,
    pub output: Option<String>,
    pub threads: Option<usize>,
    pub memory_limit: Option<String>,
    pub report_json: Option<std::path::PathBuf>,
    pub metrics: Option<std::path::PathBuf>,
    pub database_url: Option<String>,
    pub schema: Option<String>,
    pub db_connect_attempts: Option<u32>,
    pub db_retries: Option<u32>,
    pub s3_endpoint: Option<String>,
    pub s3_region: Option<String>,
    pub s3_path_style: Option<bool>,
    pub s3_ca_bundle: Option<std::path::PathBuf>,
    pub s3_concurrency: Option<usize>,
    pub s3_retries: Option<u32>,
}

impl ConfigFile {
    pub fn load(path: &Path) -> anyhow::Result<ConfigFile> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("config file {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("config file {}: {e}", path.display()))
    }
}
