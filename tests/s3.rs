//! The S3 source against a real S3-compatible server (s3s-fs, which checks SigV4 signatures) on
//! 127.0.0.1, with and without a fault-injecting proxy in between.
//!
//! Each test starts its own s3s-fs on a free port with a temporary root (a bucket is a folder
//! under it) and stops it on drop. `scripts/test.sh` installs s3s-fs; without it these tests fail
//! and say so. Set `S3_ENDPOINT` (plus `S3_TEST_BUCKET`, `AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`) to use another server; the data is then uploaded with
//! `generate --out s3://...`.

mod common;

use common::{bin, check, generate, ORG, SOURCE};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tempfile::TempDir;

const KEY: &str = "ocp-test-key";
const SECRET: &str = "ocp-test-secret-0123456789";
const BUCKET: &str = "koku";

/// An S3 server for one test: our own s3s-fs, or the one `S3_ENDPOINT` names.
struct Server {
    endpoint: String,
    bucket: String,
    key: String,
    secret: String,
    /// The s3s-fs root, when we started it: objects are files under it.
    root: Option<TempDir>,
    child: Option<Child>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for_port(addr: &str) {
    let t = Instant::now();
    while TcpStream::connect(addr).is_err() {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "{addr} did not accept connections"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

impl Server {
    fn start() -> Server {
        if let Ok(endpoint) = std::env::var("S3_ENDPOINT") {
            return Server {
                endpoint,
                bucket: std::env::var("S3_TEST_BUCKET").unwrap_or_else(|_| BUCKET.into()),
                key: std::env::var("AWS_ACCESS_KEY_ID")
                    .expect("AWS_ACCESS_KEY_ID with S3_ENDPOINT"),
                secret: std::env::var("AWS_SECRET_ACCESS_KEY")
                    .expect("AWS_SECRET_ACCESS_KEY with S3_ENDPOINT"),
                root: None,
                child: None,
            };
        }
        let root = TempDir::new().unwrap();
        std::fs::create_dir(root.path().join(BUCKET)).unwrap();
        let port = free_port();
        let child = Command::new("s3s-fs")
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--access-key", KEY, "--secret-key", SECRET])
            .arg(root.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start s3s-fs ({e}); run scripts/test.sh, which installs it \
                     (cargo install s3s-fs@0.14.1 --locked --features binary), or set S3_ENDPOINT"
                )
            });
        let addr = format!("127.0.0.1:{port}");
        let server = Server {
            endpoint: format!("http://{addr}"),
            bucket: BUCKET.into(),
            key: KEY.into(),
            secret: SECRET.into(),
            root: Some(root),
            child: Some(child),
        };
        wait_for_port(&addr);
        server
    }

    /// Makes the files under `local` (a generated dataset) the objects under `prefix`.
    fn put_dataset(&self, local: &Path, prefix: &str, gen_args: &[&str]) {
        match &self.root {
            Some(root) => copy_dir(local, &root.path().join(&self.bucket).join(prefix)),
            None => {
                let out = self
                    .cmd()
                    .args(["generate", "--out"])
                    .arg(format!("s3://{}/{prefix}", self.bucket))
                    .args(["--org", ORG, "--source", SOURCE])
                    .args(gen_args)
                    .args(["--s3-endpoint", &self.endpoint, "--s3-path-style"])
                    .output()
                    .unwrap();
                check(out, "generate --out s3://");
            }
        }
    }

    /// The binary with this server's credentials and nothing from the host's AWS setup.
    fn cmd(&self) -> Command {
        let mut c = bin();
        for var in [
            "AWS_PROFILE",
            "AWS_SESSION_TOKEN",
            "AWS_ENDPOINT_URL",
            "AWS_ENDPOINT_URL_S3",
        ] {
            c.env_remove(var);
        }
        c.env("AWS_ACCESS_KEY_ID", &self.key)
            .env("AWS_SECRET_ACCESS_KEY", &self.secret)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
        c
    }

    /// `run` on `s3://bucket/prefix` through `endpoint` (the server or a proxy before it).
    fn run(&self, endpoint: &str, prefix: &str, out_csv: &Path, extra: &[&str]) -> Output {
        self.cmd()
            .arg("run")
            .args(run_args(&format!("s3://{}/{prefix}", self.bucket), out_csv))
            .args(["--s3-endpoint", endpoint, "--s3-path-style"])
            .args(extra)
            .output()
            .unwrap()
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn run_args(input: &str, out_csv: &Path) -> Vec<String> {
    let mut args: Vec<String> = [
        "--input",
        input,
        "--org",
        ORG,
        "--source",
        SOURCE,
        "--year",
        "2026",
        "--month",
        "3",
        "--cluster-id",
        "cluster-a",
        "--enabled-keys",
        "app,team,environment",
        "--cost-category",
        "openshift-%=1",
        "--derive-node-roles",
        "--output",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push(format!("csv:{}", out_csv.display()));
    args
}

fn run_local(input: &Path, out_csv: &Path) -> Output {
    let out = bin()
        .arg("run")
        .args(run_args(&input.display().to_string(), out_csv))
        .output()
        .unwrap();
    check(out, "local run")
}

/// CSV lines without the first column (a fresh uuid per row).
fn strip_uuid(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| l.split_once(',').map_or(l, |(_, rest)| rest).to_string())
        .collect()
}

/// A dataset in a temp dir plus the server holding the same files under `prefix`.
fn dataset(gen_args: &[&str], prefix: &str) -> (Server, TempDir, PathBuf) {
    let dir = TempDir::new().unwrap();
    let data = dir.path().join("data-root");
    generate(&data, gen_args);
    let server = Server::start();
    server.put_dataset(&data, prefix, gen_args);
    (server, dir, data)
}

/// `s3 requests N  retries N  bytes fetched N` from the run summary.
fn s3_counters(stderr: &str) -> (u64, u64, u64) {
    let line = stderr
        .lines()
        .find(|l| l.trim_start().starts_with("s3 requests"))
        .unwrap_or_else(|| panic!("no s3 line in the summary:\n{stderr}"));
    let nums: Vec<u64> = line
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    (nums[0], nums[1], nums[2])
}

/// Column-chunk bytes the run needed: the `bytes N` column of the per-table summary lines.
fn chunk_bytes(stderr: &str) -> u64 {
    stderr
        .lines()
        .filter(|l| l.contains("row groups") && l.contains("bytes"))
        .map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            let i = words.iter().rposition(|w| *w == "bytes").unwrap();
            words[i + 1].parse::<u64>().unwrap()
        })
        .sum()
}

/// Footer bytes (metadata + length + magic) of every Parquet file under `dir`.
fn footer_bytes(dir: &Path) -> u64 {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            total += footer_bytes(&entry.path());
        } else if entry.path().extension().is_some_and(|e| e == "parquet") {
            let bytes = std::fs::read(entry.path()).unwrap();
            let n = bytes.len();
            total += u32::from_le_bytes(bytes[n - 8..n - 4].try_into().unwrap()) as u64 + 8;
        }
    }
    total
}

const GEN: &[&str] = &[
    "--days",
    "3",
    "--seed",
    "11",
    "--rows-per-row-group",
    "5000",
];

#[test]
fn same_rows_as_the_local_folder_and_only_the_needed_bytes() {
    let (server, dir, data) = dataset(GEN, "tenant/a");
    let local_csv = dir.path().join("local.csv");
    let s3_csv = dir.path().join("s3.csv");
    run_local(&data, &local_csv);
    let out = check(
        server.run(&server.endpoint, "tenant/a", &s3_csv, &[]),
        "S3 run",
    );
    let local = strip_uuid(&local_csv);
    assert!(
        local.len() > 100,
        "too few rows to compare: {}",
        local.len()
    );
    assert_eq!(local, strip_uuid(&s3_csv), "S3 rows differ from the folder");

    let stderr = String::from_utf8_lossy(&out.stderr);
    let (requests, retries, fetched) = s3_counters(&stderr);
    let needed = chunk_bytes(&stderr) + footer_bytes(&data);
    let objects: u64 = walk_sizes(&data);
    eprintln!(
        "requests {requests}, retries {retries}, fetched {fetched}, needed {needed}, objects {objects}"
    );
    assert_eq!(retries, 0);
    // A request reads at most 64 KiB nobody asked for: the gaps between the chunks it joins
    // (`merge_ranges`), or the part of a footer guess before the footer (under 16 KiB).
    assert!(
        fetched <= needed + requests * 64 * 1024,
        "fetched {fetched} bytes for {needed} needed (chunks + footers) in {requests} requests"
    );
    assert!(
        fetched < objects,
        "fetched {fetched} of {objects} object bytes"
    );
}

fn walk_sizes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                walk_sizes(&e.path())
            } else {
                e.metadata().unwrap().len()
            }
        })
        .sum()
}

#[test]
fn one_fault_in_ten_requests_gives_the_same_rows() {
    let (server, dir, data) = dataset(GEN, "faulty");
    let local_csv = dir.path().join("local.csv");
    let s3_csv = dir.path().join("s3.csv");
    run_local(&data, &local_csv);
    let proxy = FaultProxy::start(&server.endpoint, 10);
    let out = check(
        server.run(&proxy.endpoint, "faulty", &s3_csv, &[]),
        "S3 run through the fault proxy",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let (requests, retries, _) = s3_counters(&stderr);
    let faults = proxy.faults.load(Ordering::Relaxed);
    eprintln!("requests {requests}, retries {retries}, faults injected {faults}");
    assert!(faults >= 5, "only {faults} faults injected");
    assert!(retries >= 1, "no retries counted with {faults} faults");
    assert!(
        stderr.contains(&format!("; {retries} retries")),
        "the report's retries are the S3 retries: {stderr}"
    );
    assert_eq!(
        strip_uuid(&local_csv),
        strip_uuid(&s3_csv),
        "rows differ with faults"
    );
}

#[test]
fn exhausted_retries_fail_cleanly_with_exit_code_3() {
    let (server, dir, _) = dataset(&["--days", "1"], "down");
    let proxy = FaultProxy::start(&server.endpoint, 1);
    let csv = dir.path().join("out.csv");
    let t = Instant::now();
    let out = server.run(&proxy.endpoint, "down", &csv, &["--s3-retries", "2"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "stderr:\n{stderr}");
    assert!(stderr.contains("gave up after 3 attempts"), "{stderr}");
    let url = format!("s3://{}/down/", server.bucket);
    assert!(stderr.contains(&url), "{stderr}");
    assert!(!csv.exists(), "a failed run left an output file");
    assert!(t.elapsed() < Duration::from_secs(60));
}

#[test]
fn a_wrong_secret_is_an_authentication_error() {
    let (mut server, dir, _) = dataset(&["--days", "1"], "auth");
    server.secret = "not-the-secret".into();
    let out = server.run(&server.endpoint, "auth", &dir.path().join("o.csv"), &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "stderr:\n{stderr}");
    assert!(stderr.contains("authentication failed"), "{stderr}");
    let url = format!("s3://{}/auth/", server.bucket);
    assert!(stderr.contains(&url), "{stderr}");
    assert!(
        !stderr.contains("not-the-secret"),
        "the secret leaked:\n{stderr}"
    );
    assert!(
        !stderr.contains("retrying"),
        "auth errors must not be retried"
    );
}

#[test]
fn a_missing_bucket_fails_at_once_naming_it() {
    let (server, dir, _) = dataset(&["--days", "1"], "x");
    let out = server
        .cmd()
        .arg("run")
        .args(run_args("s3://no-such-bucket/x", &dir.path().join("o.csv")))
        .args(["--s3-endpoint", &server.endpoint, "--s3-path-style"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "stderr:\n{stderr}");
    assert!(stderr.contains("s3://no-such-bucket/x/"), "{stderr}");
    assert!(stderr.contains("NoSuchBucket"), "{stderr}");
}

#[test]
fn generate_uploads_to_a_bucket() {
    let server = Server::start();
    let Some(root) = &server.root else {
        // An external server: put_dataset uploads with `generate --out s3://` in every test.
        eprintln!("S3_ENDPOINT is set: the upload is checked through the other tests");
        return;
    };
    let dir = TempDir::new().unwrap();
    let args = ["--days", "1", "--seed", "5"];
    generate(&dir.path().join("local"), &args);
    let out = server
        .cmd()
        .args(["generate", "--out", "s3://koku/up/"])
        .args(["--org", ORG, "--source", SOURCE])
        .args(args)
        .args(["--s3-endpoint", &server.endpoint, "--s3-path-style"])
        .output()
        .unwrap();
    check(out, "generate --out s3://");
    let uploaded = root.path().join("koku/up");
    let csv_a = dir.path().join("a.csv");
    let csv_b = dir.path().join("b.csv");
    run_local(&dir.path().join("local"), &csv_a);
    run_local(&uploaded, &csv_b);
    assert_eq!(strip_uuid(&csv_a), strip_uuid(&csv_b));
    assert_eq!(walk_sizes(&dir.path().join("local")), walk_sizes(&uploaded));
}

#[test]
fn read_ahead_overlaps_requests_and_gives_the_same_rows() {
    let (server, dir, data) = dataset(GEN, "ahead");
    let local_csv = dir.path().join("local.csv");
    run_local(&data, &local_csv);
    let local = strip_uuid(&local_csv);
    // 5 ms per request, so that requests in flight together are seen together at the proxy.
    let proxy = FaultProxy::with_delay(&server.endpoint, Duration::from_millis(5));
    // One worker: without read-ahead it waits for each column-chunk GET before sending the next.
    // (Listings and footers are read by several threads either way, so they are left out.)
    let mut seen = Vec::new();
    for depth in ["0", "8"] {
        let csv = dir.path().join(format!("ahead-{depth}.csv"));
        let args = [
            "--threads",
            "1",
            "--s3-read-ahead",
            depth,
            "--s3-concurrency",
            "16",
        ];
        proxy.log.lock().unwrap().clear();
        let out = check(
            server.run(&proxy.endpoint, "ahead", &csv, &args),
            "S3 run through the delay proxy",
        );
        assert_eq!(local, strip_uuid(&csv), "rows differ at read-ahead {depth}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let counters = s3_counters(&stderr);
        let most = proxy.most_active.swap(0, Ordering::SeqCst);
        let chunks = most_chunk_gets_together(&proxy.log.lock().unwrap(), &data, "/koku/ahead/");
        eprintln!(
            "read-ahead {depth}: (requests, retries, bytes) {counters:?}, most in flight {most}, \
             most column-chunk GETs in flight {chunks}"
        );
        seen.push((counters, most, chunks));
    }
    let [(off, _, chunks_off), (on, most_on, chunks_on)] = seen[..] else {
        unreachable!()
    };
    assert_eq!(
        chunks_off, 1,
        "one worker without read-ahead sent chunk GETs together"
    );
    assert!(chunks_on >= 2, "read-ahead sent no chunk GETs together");
    assert!(
        most_on <= 16,
        "more requests in flight than --s3-concurrency: {most_on}"
    );
    // Every read started ahead was the read the decoder wanted: no request or byte read twice.
    assert_eq!(
        off, on,
        "(requests, retries, bytes) without and with read-ahead"
    );
}

/// The VM step asks whether the org has any daily pod Parquet: a listing of the org's whole table
/// that stops at the first page showing one (`any_object_ending`). 1,001 other objects that sort
/// first put every Parquet key past the first page of 1,000, so the answer needs the second page;
/// stopping after one page would leave the VM temp table empty.
#[test]
fn the_vm_checks_page_past_objects_that_are_not_parquet() {
    let (server, dir, data) = dataset(GEN, "paging");
    let Some(root) = &server.root else {
        eprintln!("skipped: needs the s3s-fs folder to add objects to");
        return;
    };
    let table = format!("paging/data/parquet/daily/{ORG}/OCP/pod_usage/source=0-not-parquet");
    let junk = root.path().join(&server.bucket).join(table);
    std::fs::create_dir_all(&junk).unwrap();
    for i in 0..1001 {
        std::fs::write(junk.join(format!("{i:04}.txt")), b"not parquet").unwrap();
    }
    let local_csv = dir.path().join("local.csv");
    run_local(&data, &local_csv);
    let proxy = FaultProxy::with_delay(&server.endpoint, Duration::ZERO);
    let s3_csv = dir.path().join("s3.csv");
    check(
        server.run(&proxy.endpoint, "paging", &s3_csv, &[]),
        "S3 run over 1,001 other objects",
    );
    // No VM rows leave no file.
    let vm = |csv: &Path| {
        let stem = csv.file_stem().unwrap().to_string_lossy();
        let path = csv.with_file_name(format!("{stem}.vm_tmp.csv"));
        match path.exists() {
            true => strip_uuid(&path),
            false => Vec::new(),
        }
    };
    let local_vm = vm(&local_csv);
    assert!(local_vm.len() > 1, "the dataset has no VM rows to compare");
    assert_eq!(
        local_vm,
        vm(&s3_csv),
        "VM temp table differs from the folder's"
    );
    let continued = proxy
        .log
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.path.contains("list-type=2") && l.path.contains("continuation-token"))
        .count();
    assert!(continued >= 1, "no listing asked for a second page");
}

/// `infra-map` over every source of the month finds the sources as the folders of one listing
/// grouped at `/`, then checks each one's month partition: 1,001 objects of another source's
/// other month cost no second listing page, and the pairs equal the folder's.
#[test]
fn infra_map_lists_source_folders_not_every_object() {
    let data = common::aws::generated_month_with_cur();
    let server = Server::start();
    let Some(root) = &server.root else {
        eprintln!("skipped: needs the s3s-fs folder to add objects to");
        return;
    };
    copy_dir(data.path(), &root.path().join(&server.bucket).join("infra"));
    let junk = format!("data/parquet/daily/{ORG}/OCP/pod_usage/source=0-other/year=2026/month=02");
    let junk = root.path().join(&server.bucket).join("infra").join(junk);
    std::fs::create_dir_all(&junk).unwrap();
    for i in 0..1001 {
        std::fs::write(junk.join(format!("{i:04}.txt")), b"not parquet").unwrap();
    }
    let dir = TempDir::new().unwrap();
    let args = ["--org", ORG, "--year", "2026", "--month", "3", "--output"];
    let local_csv = dir.path().join("local.csv");
    let local = bin()
        .args(["infra-map", "--input"])
        .arg(data.path())
        .args(args)
        .arg(&local_csv)
        .output()
        .unwrap();
    check(local, "infra-map on the folder");
    let proxy = FaultProxy::with_delay(&server.endpoint, Duration::ZERO);
    let s3_csv = dir.path().join("s3.csv");
    let input = format!("s3://{}/infra", server.bucket);
    let remote = server
        .cmd()
        .args(["infra-map", "--input", &input])
        .args(args)
        .arg(&s3_csv)
        .args(["--s3-endpoint", &proxy.endpoint, "--s3-path-style"])
        .output()
        .unwrap();
    check(remote, "infra-map on S3");
    let local = std::fs::read_to_string(&local_csv).unwrap();
    assert!(local.lines().count() > 1, "no pair to compare: {local}");
    assert_eq!(local, std::fs::read_to_string(&s3_csv).unwrap());
    let log = proxy.log.lock().unwrap();
    let listings = || log.iter().filter(|l| l.path.contains("list-type=2"));
    assert!(
        listings().any(|l| l.path.contains("delimiter=")),
        "no listing grouped at /"
    );
    assert_eq!(
        listings()
            .filter(|l| l.path.contains("continuation-token"))
            .count(),
        0,
        "a listing paged through every object"
    );
}

/// The most ranged GETs in flight at once at the proxy, among those that do not read an object's
/// tail (footers end at the object's last byte, or 8 bytes before it on a second read).
fn most_chunk_gets_together(log: &[Logged], data: &Path, path_prefix: &str) -> usize {
    let mut edges = Vec::new();
    for l in log {
        let Some((_, last)) = l.range else { continue };
        let Some(key) = l.path.split('?').next().unwrap().strip_prefix(path_prefix) else {
            continue;
        };
        let size = std::fs::metadata(data.join(percent_decode(key)))
            .unwrap()
            .len();
        if last + 1 == size || last + 9 == size {
            continue;
        }
        edges.push((l.start, 1i64));
        edges.push((l.end, -1i64));
    }
    // An answer that ends when another starts does not overlap it: ends sort first.
    edges.sort();
    let (mut now, mut most) = (0i64, 0i64);
    for (_, step) in edges {
        now += step;
        most = most.max(now);
    }
    most as usize
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// A TCP proxy that speaks just enough HTTP/1.1 to spoil every `every`-th request: it drops the
/// connection, delays, answers 500 or 503 SlowDown, or truncates the body, in turn. Bytes are
/// forwarded unchanged, so SigV4 signatures (which cover the Host header) stay valid. It can also
/// delay every request (as a remote store's round trip does) and counts the requests it has
/// received and not yet answered, keeping the most at once in `most_active`.
struct FaultProxy {
    endpoint: String,
    faults: Arc<AtomicU64>,
    most_active: Arc<AtomicU64>,
    log: Arc<Mutex<Vec<Logged>>>,
}

/// One request the proxy forwarded and answered: path, `Range` (first, last byte) and when.
#[derive(Debug, Clone)]
struct Logged {
    path: String,
    range: Option<(u64, u64)>,
    start: Instant,
    end: Instant,
}

impl Logged {
    fn parse(request: &[u8], start: Instant) -> Logged {
        let head = String::from_utf8_lossy(&request[..header_len(request)]).to_string();
        let path = head.split(' ').nth(1).unwrap_or("").to_string();
        let range = head.lines().find_map(|l| {
            let (name, value) = l.split_once(':')?;
            let value = value.trim().strip_prefix("bytes=")?;
            let (a, b) = value.split_once('-')?;
            match name.eq_ignore_ascii_case("range") {
                true => Some((a.parse().ok()?, b.parse().ok()?)),
                false => None,
            }
        });
        Logged {
            path,
            range,
            start,
            end: start,
        }
    }
}

/// What the proxy does to each request.
#[derive(Clone)]
struct Behaviour {
    every: u64,
    delay: Duration,
    counter: Arc<AtomicU64>,
    faults: Arc<AtomicU64>,
    active: Arc<AtomicU64>,
    most_active: Arc<AtomicU64>,
    log: Arc<Mutex<Vec<Logged>>>,
}

#[derive(Clone, Copy, Debug)]
enum Fault {
    Drop,
    Delay,
    Internal,
    SlowDown,
    Truncate,
}

impl FaultProxy {
    fn start(upstream: &str, every: u64) -> FaultProxy {
        FaultProxy::start_with(upstream, every, Duration::ZERO)
    }

    /// No faults; every request waits `delay` before it is forwarded.
    fn with_delay(upstream: &str, delay: Duration) -> FaultProxy {
        FaultProxy::start_with(upstream, u64::MAX, delay)
    }

    fn start_with(upstream: &str, every: u64, delay: Duration) -> FaultProxy {
        let upstream = upstream.trim_start_matches("http://").to_string();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let behaviour = Behaviour {
            every,
            delay,
            counter: Arc::default(),
            faults: Arc::default(),
            active: Arc::default(),
            most_active: Arc::default(),
            log: Arc::default(),
        };
        let proxy = FaultProxy {
            endpoint,
            faults: behaviour.faults.clone(),
            most_active: behaviour.most_active.clone(),
            log: behaviour.log.clone(),
        };
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                let (upstream, behaviour) = (upstream.clone(), behaviour.clone());
                std::thread::spawn(move || {
                    let _ = serve(client, &upstream, &behaviour);
                });
            }
        });
        proxy
    }
}

/// Counts a request as in flight at the proxy until dropped.
struct Active<'a>(&'a AtomicU64);

impl<'a> Active<'a> {
    fn new(b: &'a Behaviour) -> Self {
        let now = b.active.fetch_add(1, Ordering::SeqCst) + 1;
        b.most_active.fetch_max(now, Ordering::SeqCst);
        Active(&b.active)
    }
}

impl Drop for Active<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn serve(client: TcpStream, upstream: &str, b: &Behaviour) -> std::io::Result<()> {
    let Behaviour {
        every,
        ref counter,
        ref faults,
        ..
    } = *b;
    let mut from_client = BufReader::new(client.try_clone()?);
    let mut to_client = client;
    let server = TcpStream::connect(upstream)?;
    let mut from_server = BufReader::new(server.try_clone()?);
    let mut to_server = server;
    loop {
        let Some(request) = read_message(&mut from_client, false)? else {
            return Ok(());
        };
        let _active = Active::new(b);
        let mut logged = Logged::parse(&request, Instant::now());
        if !b.delay.is_zero() {
            std::thread::sleep(b.delay);
        }
        let n = counter.fetch_add(1, Ordering::Relaxed);
        let fault = (n % every == every - 1).then(|| {
            let k = faults.fetch_add(1, Ordering::Relaxed);
            [
                Fault::Drop,
                Fault::Internal,
                Fault::Truncate,
                Fault::SlowDown,
                Fault::Delay,
            ][(k % 5) as usize]
        });
        match fault {
            Some(Fault::Drop) => {
                let _ = to_client.shutdown(Shutdown::Both);
                return Ok(());
            }
            Some(Fault::Internal) => {
                to_client.write_all(
                    b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                )?;
                return Ok(());
            }
            Some(Fault::SlowDown) => {
                let body =
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code>\
                            <Message>Please reduce your request rate.</Message></Error>";
                write!(
                    to_client,
                    "HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )?;
                return Ok(());
            }
            Some(Fault::Delay) => std::thread::sleep(Duration::from_millis(1500)),
            _ => {}
        }
        to_server.write_all(&request)?;
        let head_only = request.starts_with(b"HEAD ");
        let Some(response) = read_message(&mut from_server, head_only)? else {
            return Ok(());
        };
        if let Some(Fault::Truncate) = fault {
            let head = header_len(&response);
            to_client.write_all(&response[..head + (response.len() - head) / 2])?;
            let _ = to_client.shutdown(Shutdown::Both);
            return Ok(());
        }
        to_client.write_all(&response)?;
        logged.end = Instant::now();
        b.log.lock().unwrap().push(logged);
    }
}

fn header_len(msg: &[u8]) -> usize {
    msg.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4
}

/// One HTTP/1.1 message (head + body by Content-Length or chunked), as raw bytes.
fn read_message(r: &mut BufReader<TcpStream>, head_only: bool) -> std::io::Result<Option<Vec<u8>>> {
    let mut msg = Vec::new();
    let mut content_length = 0usize;
    let mut chunked = false;
    loop {
        let mut line = Vec::new();
        if r.read_until(b'\n', &mut line)? == 0 {
            return Ok(None);
        }
        let text = String::from_utf8_lossy(&line).to_ascii_lowercase();
        if let Some(v) = text.strip_prefix("content-length:") {
            content_length = v.trim().parse().unwrap_or(0);
        }
        if text.starts_with("transfer-encoding:") && text.contains("chunked") {
            chunked = true;
        }
        msg.extend_from_slice(&line);
        if line == b"\r\n" {
            break;
        }
    }
    let status_no_body = msg.starts_with(b"HTTP/1.1 204") || msg.starts_with(b"HTTP/1.1 304");
    if head_only || status_no_body {
        return Ok(Some(msg));
    }
    if chunked {
        loop {
            let mut size_line = Vec::new();
            r.read_until(b'\n', &mut size_line)?;
            msg.extend_from_slice(&size_line);
            let size_text = String::from_utf8_lossy(&size_line);
            let size = usize::from_str_radix(size_text.trim().split(';').next().unwrap_or("0"), 16)
                .unwrap_or(0);
            let mut chunk = vec![0u8; size + 2];
            r.read_exact(&mut chunk)?;
            msg.extend_from_slice(&chunk);
            if size == 0 {
                break;
            }
        }
    } else {
        let start = msg.len();
        msg.resize(start + content_length, 0);
        r.read_exact(&mut msg[start..])?;
    }
    Ok(Some(msg))
}
