//! Hostile targets: `regcheck run` against `regcheck serve --fault X` for every hostile fault
//! (raw bytes that break HTTP itself). Each run must end within its own deadlines, exit 1
//! (findings) or 2 (could not run at all) with a finding or message naming the cause, never
//! panic, and keep its peak RSS (VmHWM of the child, polled while it runs) under 256 MiB.
//! Every test records `fault, exit, wall time, peak RSS` under target/hostile-numbers/;
//! `benches/hostile.sh` runs them one at a time and prints the table.

use crate::common::read_report;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Peak RSS allowed for a run against any hostile fault.
const RSS_LIMIT_KIB: u64 = 256 * 1024;
/// The limits every run gets: a 3 s request deadline, 2 s to response headers.
const LIMIT_FLAGS: &[&str] = &["--timeout", "3", "--headers-timeout", "2", "--jobs", "8"];
/// Longest any run may take with those limits (the slowest scenario chains stop at the
/// first breach, so a run is a handful of deadlines long).
const WALL_LIMIT: Duration = Duration::from_secs(90);

/// Fault → (exit code, rule id of a finding (or `stderr` for exit 2), text the finding's
/// message, expected or actual must contain).
const EXPECTED: &[(&str, i32, &str, &str)] = &[
    (
        "garbage-status-line",
        1,
        "transport.protocol",
        "invalid HTTP status-code",
    ),
    ("non-http-bytes", 2, "stderr", "invalid HTTP version"),
    (
        "huge-manifest",
        1,
        "limits.manifest-size",
        "body exceeds 4 MiB manifest limit (Content-Length 10737418240)",
    ),
    (
        "huge-json-list",
        1,
        "limits.json-size",
        "4 MiB JSON body limit",
    ),
    (
        "oversized-header",
        1,
        "limits.head-size",
        "response head exceeds",
    ),
    (
        "slow-blob-body",
        1,
        "limits.request-deadline",
        "within 3s, the request deadline",
    ),
    (
        "never-answer",
        1,
        "limits.headers-timeout",
        "no response head within 2s",
    ),
    (
        "body-cut-short",
        1,
        "all.body-complete",
        "bytes (Content-Length)",
    ),
    (
        "content-length-short",
        1,
        "GetBlob.digest-matches-body",
        "sha256:",
    ),
    (
        "truncated-json",
        1,
        "GetTagList.schema",
        "the body is not JSON",
    ),
    (
        "deep-json",
        1,
        "limits.json-depth",
        "nests deeper than the limit of 64 levels",
    ),
    (
        "redirect-loop",
        1,
        "limits.redirects",
        "more than 10 redirects",
    ),
    ("reset-mid-body", 1, "all.body-complete", "reset"),
    (
        "gzip-bomb",
        1,
        "GetBlob.content-encoding-requested",
        "Content-Encoding: gzip",
    ),
];

/// `regcheck serve --fault X` on an ephemeral loopback port; killed on drop.
struct Served {
    child: Child,
    url: String,
}

impl Served {
    fn start(fault: &str) -> Served {
        Self::start_with(&["--fault", fault])
    }

    fn start_with(extra: &[&str]) -> Served {
        let mut child = Command::new(env!("CARGO_BIN_EXE_regcheck"))
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn regcheck serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        reader
            .read_line(&mut line)
            .expect("serve prints its address");
        // Keep draining: a closed pipe would make serve's next println fail and kill it.
        std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
        let url = line
            .trim()
            .rsplit(' ')
            .next()
            .filter(|u| u.starts_with("http://"))
            .unwrap_or_else(|| panic!("unexpected first line of serve: {line}"))
            .to_string();
        Served { child, url }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a measured run produced.
struct Measured {
    code: i32,
    stdout: String,
    stderr: String,
    wall: Duration,
    peak_kib: u64,
}

fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs `regcheck ARGS`, polling the child's VmHWM every 10 ms; kills it after `WALL_LIMIT`.
fn measured_run(args: &[&str]) -> Measured {
    let dir = tempfile::tempdir().expect("tempdir");
    let (out_path, err_path) = (dir.path().join("out"), dir.path().join("err"));
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_regcheck"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("REGCHECK_PASSWORD")
        .env_remove("REGCHECK_AAD_TOKEN")
        .stdout(std::fs::File::create(&out_path).expect("stdout file"))
        .stderr(std::fs::File::create(&err_path).expect("stderr file"))
        .spawn()
        .expect("spawn regcheck run");
    let mut peak = 0;
    let status = loop {
        if let Some(kib) = vm_hwm_kib(child.id()) {
            peak = peak.max(kib);
        }
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > WALL_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("regcheck {args:?} still running after {WALL_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Measured {
        code: status.code().unwrap_or(-1),
        stdout: std::fs::read_to_string(&out_path).unwrap_or_default(),
        stderr: std::fs::read_to_string(&err_path).unwrap_or_default(),
        wall: started.elapsed(),
        peak_kib: peak,
    }
}

/// Writes `fault, exit, wall ms, peak KiB` for benches/hostile.sh.
fn record(label: &str, m: &Measured) {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("../hostile-numbers");
    let _ = std::fs::create_dir_all(&dir);
    let row = format!(
        "{label}\t{}\t{}\t{}\n",
        m.code,
        m.wall.as_millis(),
        m.peak_kib
    );
    let _ = std::fs::write(dir.join(format!("{label}.tsv")), &row);
    eprint!("hostile\t{row}");
}

/// The findings of a report whose rule is `rule`, as `message | expected | actual` lines.
fn findings_of(report: &serde_json::Value, rule: &str) -> Vec<String> {
    let mut out = Vec::new();
    for s in report["scenarios"].as_array().into_iter().flatten() {
        for st in s["steps"].as_array().into_iter().flatten() {
            for f in st["findings"].as_array().into_iter().flatten() {
                if f["rule"] == rule {
                    out.push(format!(
                        "{} | {} | {}",
                        f["message"].as_str().unwrap_or(""),
                        f["expected"].as_str().unwrap_or(""),
                        f["actual"].as_str().unwrap_or("")
                    ));
                }
            }
        }
    }
    out
}

/// The proof for one fault, against `serve --fault` (or the embedded registry).
fn prove(fault: &str, embedded: bool) {
    let (_, code, rule, text) = EXPECTED
        .iter()
        .find(|(f, ..)| *f == fault)
        .unwrap_or_else(|| panic!("no expectation for {fault}"));
    let dir = tempfile::tempdir().expect("tempdir");
    let report_path = dir.path().join("report.json");
    let report_arg = format!("json={}", report_path.display());
    let served = (!embedded).then(|| Served::start(fault));
    let mut args = vec!["run", "-q", "--report", &report_arg];
    args.extend_from_slice(LIMIT_FLAGS);
    match &served {
        Some(s) => args.extend(["--target", s.url.as_str()]),
        None => args.extend(["--embedded-auth", "none", "--embedded-fault", fault]),
    }
    let m = measured_run(&args);
    let label = if embedded {
        format!("{fault} (embedded)")
    } else {
        fault.to_string()
    };
    record(&label, &m);
    let all = format!("{}\n{}", m.stdout, m.stderr);
    assert!(!all.contains("panicked"), "{fault}: panic\n{all}");
    assert_eq!(m.code, *code, "{fault}: exit code\n{all}");
    assert!(m.wall < WALL_LIMIT, "{fault}: took {:?}", m.wall);
    assert!(
        m.peak_kib > 0 && m.peak_kib < RSS_LIMIT_KIB,
        "{fault}: peak RSS {} KiB",
        m.peak_kib
    );
    if *rule == "stderr" {
        assert!(
            m.stderr.contains(text),
            "{fault}: stderr lacks `{text}`: {}",
            m.stderr
        );
        return;
    }
    // The report is written, names the cause, and the run went on after the breach.
    let report = read_report(&report_path);
    let found = findings_of(&report, rule);
    assert!(
        found.iter().any(|f| f.contains(text)),
        "{fault}: no `{rule}` finding containing `{text}`: {found:?}\n{all}"
    );
    assert!(
        m.stdout.contains(rule),
        "{fault}: the terminal report does not name {rule}"
    );
    assert!(
        report["summary"]["passed"].as_u64().unwrap_or(0) > 0,
        "{fault}: no scenario passed, so the run did not go on after the breach"
    );
}

macro_rules! hostile_tests {
    ($($name:ident => $fault:literal),+ $(,)?) => {
        $( #[test] fn $name() { prove($fault, false); } )+
    };
}

hostile_tests! {
    fault_garbage_status_line => "garbage-status-line",
    fault_non_http_bytes => "non-http-bytes",
    fault_huge_manifest => "huge-manifest",
    fault_huge_json_list => "huge-json-list",
    fault_oversized_header => "oversized-header",
    fault_slow_blob_body => "slow-blob-body",
    fault_never_answer => "never-answer",
    fault_body_cut_short => "body-cut-short",
    fault_content_length_short => "content-length-short",
    fault_truncated_json => "truncated-json",
    fault_deep_json => "deep-json",
    fault_redirect_loop => "redirect-loop",
    fault_reset_mid_body => "reset-mid-body",
    fault_gzip_bomb => "gzip-bomb",
}

/// In process: the embedded registry serves the 13 MiB bomb and the harness reads it, both in
/// one process, still far under the limit (nothing is inflated).
#[test]
fn fault_gzip_bomb_embedded() {
    prove("gzip-bomb", true);
}

/// `--fault-on` moves a hostile fault to other requests (here: deep JSON on manifest GETs
/// instead of tag lists), so e.g. a load run's blob or manifest GETs can be made to hit it.
#[test]
fn fault_on_selects_the_requests_a_fault_answers() {
    let served = Served::start_with(&["--fault", "deep-json", "--fault-on", "manifest-get"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let report_path = dir.path().join("report.json");
    let report_arg = format!("json={}", report_path.display());
    let mut args = vec![
        "run",
        "-q",
        "--target",
        served.url.as_str(),
        "--report",
        &report_arg,
    ];
    args.extend_from_slice(LIMIT_FLAGS);
    let m = measured_run(&args);
    assert_eq!(m.code, 1, "{}\n{}", m.stdout, m.stderr);
    let report = read_report(&report_path);
    let mut ops = std::collections::BTreeSet::new();
    for s in report["scenarios"].as_array().into_iter().flatten() {
        for st in s["steps"].as_array().into_iter().flatten() {
            let depth = st["findings"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|f| f["rule"] == "limits.json-depth");
            if depth {
                ops.insert(st["op"].as_str().unwrap_or("?").to_string());
            }
        }
    }
    assert_eq!(
        ops.into_iter().collect::<Vec<_>>(),
        vec!["GetManifest".to_string()],
        "json-depth findings must come from manifest GETs only"
    );
    let bad = regcheck_plain(&["serve", "--fault", "deep-json", "--fault-on", "blobs"]);
    assert_eq!(bad.0, 2, "{}", bad.1);
    assert!(bad.1.contains("unknown fault trigger `blobs`"), "{}", bad.1);
}

/// Exit code and stderr of a short `regcheck` invocation.
fn regcheck_plain(args: &[&str]) -> (i32, String) {
    let out = crate::common::regcheck(args);
    (out.code, out.stderr)
}

/// Blob bodies are bounded by their own length, not by the manifest and JSON limits: a 12 MiB
/// blob, uploaded in a 10 MiB chunk, checked with HEAD and fetched whole and by range, passes
/// with both size limits set to 1 MiB.
#[test]
fn large_blobs_are_not_limit_breaches() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("big.yaml");
    std::fs::write(
        &file,
        r#"name: big-blob
blobs: { big: { size: 12MiB, seed: 3 } }
steps:
  - name: start
    op: StartUpload
    request: { path: "/v2/{{repo}}/blobs/uploads/" }
    expect: { status: 202 }
    capture: { upload: { header: Location } }
  - name: chunks
    for_each: { chunks: big, chunk_size: 10MiB }
    steps:
      - name: chunk
        op: UploadChunk
        request:
          url: "{{upload}}"
          headers: { Content-Range: "{{chunk.start}}-{{chunk.end}}" }
          body: { blob: big, bytes: "{{chunk.start}}-{{chunk.end}}" }
        expect: { status: 202 }
        capture: { upload: { header: Location } }
  - name: complete
    op: CompleteUpload
    request: { method: PUT, url: "{{upload}}", query: { digest: "{{blobs.big.digest}}" } }
    expect: { status: 201 }
  - name: head
    op: CheckBlobExists
    request: { method: HEAD, path: "/v2/{{repo}}/blobs/{{blobs.big.digest}}" }
    expect: { status: 200 }
  - name: get
    op: GetBlob
    request: { path: "/v2/{{repo}}/blobs/{{blobs.big.digest}}" }
    expect: { status: 200, body_digest: "{{blobs.big.digest}}" }
  - name: range
    op: GetChunk
    request:
      path: "/v2/{{repo}}/blobs/{{blobs.big.digest}}"
      headers: { Range: "bytes=0-5242879" }
    expect: { status: 206, body_length: "5242880" }
"#,
    )
    .expect("write scenario");
    let m = measured_run(&[
        "run",
        "-q",
        "--no-report",
        "--embedded-auth",
        "none",
        "--scenarios",
        file.to_str().expect("utf8 path"),
        "--max-manifest-mib",
        "1",
        "--max-json-mib",
        "1",
    ]);
    assert_eq!(m.code, 0, "{}\n{}", m.stdout, m.stderr);
}

/// The limits live in the client (every mode shares it), not only in the runner: `execute`
/// itself returns the breach, named like the issue asks, with a stable kind for error counts.
#[tokio::test]
async fn the_client_itself_enforces_the_limits() {
    use regcheck::client::{Client, ClientOptions, Credentials, OutgoingBody, OutgoingRequest};
    use regcheck::registry::{Fault, RegistryConfig};
    let reg = regcheck::registry::start(RegistryConfig {
        faults: vec![Fault::HugeManifest],
        ..RegistryConfig::default()
    })
    .await
    .expect("registry");
    // The trickle on any path containing /trickle (no blob needs to exist).
    let trickle = regcheck::registry::start(RegistryConfig {
        faults: vec![Fault::SlowBlobBody],
        fault_on: Some("path:/trickle".parse().expect("trigger")),
        ..RegistryConfig::default()
    })
    .await
    .expect("registry");
    let get = |base: &str, path: &str| OutgoingRequest {
        method: reqwest::Method::GET,
        url: url::Url::parse(base)
            .and_then(|u| u.join(path))
            .expect("url"),
        headers: vec![],
        body: OutgoingBody::Empty,
    };
    let client = |base: &str| {
        Client::new(ClientOptions {
            target: url::Url::parse(base).expect("url"),
            timeout: Duration::from_secs(2),
            credentials: Default::default(),
            limits: Default::default(),
            transport: Default::default(),
        })
        .expect("client")
    };
    let err = client(&reg.url())
        .execute(
            &get(&reg.url(), "/v2/x/manifests/latest"),
            Credentials::Never,
        )
        .await
        .expect_err("a 10 GiB manifest is refused");
    assert_eq!(err.kind(), "limits.manifest-size");
    assert_eq!(
        err.to_string(),
        "GET /v2/x/manifests/latest: body exceeds 4 MiB manifest limit (Content-Length 10737418240)"
    );
    let started = Instant::now();
    let err = client(&trickle.url())
        .execute(
            &get(&trickle.url(), "/v2/x/blobs/trickle"),
            Credentials::Never,
        )
        .await
        .expect_err("a trickled body outlasts the deadline");
    assert_eq!(err.kind(), "limits.request-deadline", "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert!(
        err.to_string().contains("within 2s, the request deadline"),
        "{err}"
    );
}

#[test]
fn every_hostile_fault_has_a_proof() {
    let source = include_str!("hostile.rs");
    for f in regcheck::registry::Fault::ALL
        .iter()
        .filter(|f| f.is_hostile())
    {
        let test_name = format!("fault_{} => \"{}\"", f.name().replace('-', "_"), f.name());
        assert!(source.contains(&test_name), "no test for hostile fault {f}");
        assert!(
            EXPECTED.iter().any(|(name, ..)| *name == f.name()),
            "no expectation for hostile fault {f}"
        );
    }
}

/// The runs are ordinary `regcheck run`s: with no fault, the same limits let everything pass.
#[test]
fn the_limits_used_here_let_a_clean_registry_pass() {
    let mut args = vec!["run", "-q", "--no-report", "--embedded-auth", "none"];
    args.extend_from_slice(LIMIT_FLAGS);
    let m = measured_run(&args);
    assert_eq!(m.code, 0, "{}\n{}", m.stdout, m.stderr);
}
