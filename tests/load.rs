//! `regcheck load` end to end: bounded loads against the embedded registry and CNCF
//! Distribution, with the report's contents checked (counts add up, percentiles ordered, bytes
//! = operations × size, histograms lossless), thresholds tripping, a corrupting target caught by
//! digest verification, a stalled target visible in the open model's p99 but hidden by the
//! closed model, shards merged exactly, and Ctrl-C still writing the report.

use crate::common::{Distribution, read_report, regcheck};
use base64::Engine;
use hdrhistogram::serialization::Deserializer;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn load(args: &[&str]) -> (crate::common::CliOutput, Value, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let report = dir.path().join("load.json");
    let spec = format!("json={}", report.display());
    let mut all = vec!["load", "-q", "--report", spec.as_str()];
    all.extend_from_slice(args);
    let out = regcheck(&all);
    let json = if report.exists() {
        read_report(&report)
    } else {
        Value::Null
    };
    (out, json, dir)
}

fn ops(r: &Value) -> Vec<Value> {
    r["load"]["operations"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn op<'a>(r: &'a Value, name: &str) -> &'a Value {
    r["load"]["operations"]
        .as_array()
        .and_then(|a| a.iter().find(|o| o["name"] == name))
        .unwrap_or_else(|| panic!("no `{name}` in {}", r["load"]["operations"]))
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

fn histogram_count(summary: &Value) -> u64 {
    let b64 = summary["histogram"].as_str().expect("histogram");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .expect("base64");
    let h: hdrhistogram::Histogram<u64> = Deserializer::new()
        .deserialize(&mut std::io::Cursor::new(bytes))
        .expect("histogram decodes");
    assert_eq!(h.max() / 1000 * 1000, u(&summary["max_us"]) / 1000 * 1000);
    h.len()
}

/// The invariants every load report must hold.
fn assert_consistent(r: &Value) {
    let total = &r["load"]["total"];
    let (mut requests, mut errors, mut bytes) = (0, 0, 0);
    for o in ops(r) {
        requests += u(&o["requests"]);
        errors += u(&o["errors"]);
        bytes += u(&o["bytes"]);
        let l = &o["latency"];
        let seq = ["min_us", "p50_us", "p90_us", "p99_us", "p999_us", "max_us"].map(|k| u(&l[k]));
        assert!(
            seq.windows(2).all(|w| w[0] <= w[1]),
            "{} percentiles out of order: {seq:?}",
            o["name"]
        );
        assert_eq!(
            histogram_count(l),
            u(&o["requests"]) - u(&o["errors"]),
            "{}: the latency histogram holds every successful operation",
            o["name"]
        );
        let by_kind: u64 = o["errors_by_kind"]
            .as_object()
            .unwrap()
            .values()
            .map(u)
            .sum();
        assert_eq!(by_kind, u(&o["errors"]), "errors by kind add up");
    }
    assert_eq!(u(&total["requests"]), requests);
    assert_eq!(u(&total["errors"]), errors);
    assert_eq!(u(&total["bytes"]), bytes);
    assert_eq!(histogram_count(&total["latency"]), requests - errors);
    let timeline = r["load"]["timeline"].as_array().expect("timeline");
    let t_req: u64 = timeline.iter().map(|t| u(&t["requests"])).sum();
    let t_bytes: u64 = timeline.iter().map(|t| u(&t["bytes"])).sum();
    let t_err: u64 = timeline.iter().map(|t| u(&t["errors"])).sum();
    assert_eq!(
        (t_req, t_bytes, t_err),
        (requests, bytes, errors),
        "timeline adds up"
    );
}

#[test]
fn a_mixed_load_on_the_embedded_registry_adds_up_and_cleans_up() {
    let dir = tempfile::tempdir().unwrap();
    let hlog = dir.path().join("run.hlog");
    let (out, r, _d) = load(&[
        "--workload",
        "pull=40,pull-range=10,head=10,push=10,push-chunked=10,manifest-get=10,manifest-put=10",
        "--blob-size",
        "4KiB:50,96KiB:50",
        "--chunk-size",
        "32KiB",
        "--range-size",
        "1KiB",
        "--duration",
        "2s",
        "--warmup",
        "500ms",
        "-c",
        "4",
        "--hdr-log",
        hlog.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_consistent(&r);
    for name in [
        "pull",
        "pull-range",
        "head",
        "push",
        "push-chunked",
        "manifest-get",
        "manifest-put",
    ] {
        let o = op(&r, name);
        assert!(u(&o["requests"]) > 0, "{name} ran");
        assert_eq!(u(&o["errors"]), 0, "{name}: {}", o["examples"]);
    }
    // Ranged GETs move exactly range-size bytes; HEAD moves none.
    let pr = op(&r, "pull-range");
    assert_eq!(u(&pr["bytes"]), u(&pr["requests"]) * 1024);
    assert_eq!(u(&op(&r, "head")["bytes"]), 0);
    // Warm-up excluded: the measured time is the duration, not duration + warm-up.
    let secs = r["load"]["measured_secs"].as_f64().unwrap();
    assert!((1.9..3.0).contains(&secs), "measured {secs}");
    assert!(out.stdout.contains("p99 ms"), "{}", out.stdout);
    // The generator's CPU over the measured part: some, at most every core for the whole
    // time, and marked as including the embedded registry's (same process).
    let cpu = &r["load"]["generator_cpu"];
    let total = cpu["user_secs"].as_f64().unwrap() + cpu["system_secs"].as_f64().unwrap();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    assert!(
        total > 0.01 && total <= secs * cores * 1.2,
        "{cpu} over {secs}s"
    );
    assert_eq!(cpu["includes_target"], true, "{cpu}");
    assert!(out.stdout.contains("generator CPU"), "{}", out.stdout);
    // Cleanup removed the run's repositories (the embedded registry has ACR extensions).
    assert!(u(&r["cleanup"]["deleted"]) >= 2, "{}", r["cleanup"]);
    assert_eq!(r["cleanup"]["leftovers"].as_array().unwrap().len(), 0);
    // The interval log is in HdrHistogram's format, tagged per workload.
    let text = std::fs::read_to_string(&hlog).unwrap();
    assert!(text.contains("#[StartTime: "), "{text}");
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("Tag=pull,"))
        .collect();
    assert!(!lines.is_empty(), "{text}");
    let b64 = lines[0].rsplit(',').next().unwrap();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    let h: hdrhistogram::Histogram<u64> = Deserializer::new()
        .deserialize(&mut std::io::Cursor::new(bytes))
        .expect("interval histogram decodes");
    assert!(!h.is_empty());
}

#[test]
fn bytes_are_requests_times_size_and_request_bounds_are_exact() {
    let (out, r, _d) = load(&[
        "--workload",
        "pull",
        "--blob-size",
        "64KiB",
        "-n",
        "300",
        "-c",
        "6",
    ]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_consistent(&r);
    let pull = op(&r, "pull");
    assert_eq!(u(&pull["requests"]), 300);
    assert_eq!(u(&pull["bytes"]), 300 * 65536);
    let (out, r, _d) = load(&[
        "--workload",
        "push",
        "--blob-size",
        "10KiB",
        "-n",
        "40",
        "-c",
        "2",
    ]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(u(&op(&r, "push")["bytes"]), 40 * 10240);
}

#[test]
fn thresholds_trip_when_they_should() {
    let (out, r, _d) = load(&[
        "--workload",
        "pull",
        "--blob-size",
        "4KiB",
        "-n",
        "100",
        "--threshold",
        "pull.p99<1us",
        "--threshold",
        "error_rate<1%",
        "--threshold",
        "pull.rps>0",
    ]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let th = r["load"]["thresholds"].as_array().unwrap();
    assert_eq!(th.len(), 3);
    assert_eq!(th[0]["ok"], false);
    assert_eq!(th[1]["ok"], true);
    assert_eq!(th[2]["ok"], true);
    assert!(
        out.stdout.contains("threshold pull.p99<1us VIOLATED"),
        "{}",
        out.stdout
    );
    let (out, _r, _d) = load(&[
        "--workload",
        "pull",
        "--blob-size",
        "4KiB",
        "-n",
        "100",
        "--threshold",
        "pull.p99<60s",
        "--threshold",
        "error_rate<1%",
    ]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    // A threshold on a workload that did not run fails rather than passing silently.
    let (out, _r, _d) = load(&[
        "--workload",
        "pull",
        "-n",
        "10",
        "--threshold",
        "push.p99<60s",
    ]);
    assert_eq!(out.code, 1, "{}", out.stdout);
}

#[test]
fn a_target_that_corrupts_bodies_yields_digest_mismatches() {
    let (out, r, _d) = load(&[
        "--embedded-fault",
        "corrupt-blob-body",
        "--workload",
        "pull",
        "--blob-size",
        "8KiB",
        "-n",
        "50",
    ]);
    assert_eq!(
        out.code, 1,
        "integrity errors fail the run: {}{}",
        out.stdout, out.stderr
    );
    assert_consistent(&r);
    let pull = op(&r, "pull");
    assert_eq!(u(&pull["errors_by_kind"]["digest_mismatch"]), 50, "{pull}");
    assert!(out.stdout.contains("digest_mismatch 50"), "{}", out.stdout);
    // Ranged reads are compared byte by byte against what was pushed.
    let (_out, r, _d) = load(&[
        "--embedded-fault",
        "corrupt-blob-body",
        "--workload",
        "pull-range",
        "--blob-size",
        "8KiB",
        "--range-size",
        "8KiB",
        "-n",
        "20",
    ]);
    assert_eq!(
        u(&op(&r, "pull-range")["errors_by_kind"]["digest_mismatch"]),
        20
    );
    // The same target measured without verification counts nothing: verification is what
    // catches it.
    let (out, r, _d) = load(&[
        "--embedded-fault",
        "corrupt-blob-body",
        "--workload",
        "pull",
        "--blob-size",
        "8KiB",
        "-n",
        "50",
        "--no-verify",
    ]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(u(&op(&r, "pull")["errors"]), 0);
}

#[test]
fn contract_checks_stay_on_under_load() {
    let (out, r, _d) = load(&[
        "--embedded-fault",
        "wrong-digest-header",
        "--workload",
        "pull=50,head=50",
        "-n",
        "60",
    ]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let pull = op(&r, "pull");
    assert_eq!(u(&pull["errors_by_kind"]["contract"]), u(&pull["requests"]));
    assert!(u(&pull["contract_violations"]["GetBlob.digest-header-matches"]) > 0);
    assert!(u(&op(&r, "head")["contract_violations"]["CheckBlobExists.headers"]) > 0);
    let (out, r, _d) = load(&[
        "--embedded-fault",
        "wrong-upload-range",
        "--workload",
        "push-chunked",
        "--blob-size",
        "64KiB",
        "--chunk-size",
        "16KiB",
        "-n",
        "10",
    ]);
    assert_eq!(out.code, 1);
    assert_eq!(
        u(
            &op(&r, "push-chunked")["contract_violations"]["UploadChunk.range-matches-content-range"]
        ),
        10
    );
}

#[test]
fn concurrent_workers_share_one_token_fetch_and_every_format_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("l.md");
    let junit = dir.path().join("l.xml");
    let (out, r, _d) = load(&[
        "--workload",
        "pull",
        "--blob-size",
        "4KiB",
        "-n",
        "300",
        "-c",
        "8",
        "--report",
        &format!("md={}", md.display()),
        "--report",
        &format!("junit={}", junit.display()),
    ]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let auth = &r["load"]["auth"];
    // However many of the eight workers meet the pull scope's challenge (usually several, at
    // once), one token is fetched for all of them and reused for 300 pulls.
    assert!(u(&auth["challenges_answered"]) >= 1, "{auth}");
    assert_eq!(u(&auth["token_requests"]), 1, "{auth}");
    let md = std::fs::read_to_string(&md).unwrap();
    assert!(md.contains("| pull | 300 |"), "{md}");
    assert!(
        std::fs::read_to_string(&junit)
            .unwrap()
            .contains("<testsuite")
    );
}

#[test]
fn the_token_workload_fetches_tokens_and_needs_token_auth() {
    let (out, r, _d) = load(&["--workload", "token", "-n", "25", "-c", "5"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(u(&op(&r, "token")["requests"]), 25);
    assert!(u(&r["load"]["auth"]["challenges_answered"]) >= 25);
    let (out, _r, _d) = load(&["--workload", "token", "-n", "5", "--embedded-auth", "none"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("Bearer challenge"), "{}", out.stderr);
}

#[test]
fn bad_load_flags_and_profiles_are_usage_errors() {
    for (args, needle) in [
        (vec!["load", "--workload", "pul"], "unknown workload `pul`"),
        (vec!["load", "--blob-size", "huge"], "not a valid size"),
        (vec!["load", "--rate", "10", "-c", "2"], "not both"),
        (vec!["load", "--threshold", "pull.p99<fast"], "threshold"),
        (vec!["load", "--shard", "2/2"], "--shard"),
        (vec!["load", "--stages", "10s"], "DURATION:TARGET"),
    ] {
        let out = regcheck(&args);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(needle), "{args:?}: {}", out.stderr);
    }
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.yaml");
    std::fs::write(&p, "workload: pull\nconcurency: 3\n").unwrap();
    let out = regcheck(&["load", p.to_str().unwrap()]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("bad.yaml:2:"), "{}", out.stderr);
}

#[test]
fn bundled_load_profiles_are_valid() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/load");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("scenarios/load exists") {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "yaml") {
            let settings =
                regcheck::load::profile::load_profile(&p).unwrap_or_else(|e| panic!("{e}"));
            settings
                .to_spec()
                .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            n += 1;
        }
    }
    assert!(n >= 3, "{n} profiles");
}

#[test]
fn zb_presets_are_valid_and_write_github_action_benchmark_json() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/load/zb");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("scenarios/load/zb exists") {
        let p = entry.unwrap().path();
        let settings = regcheck::load::profile::load_profile(&p).unwrap_or_else(|e| panic!("{e}"));
        settings
            .to_spec()
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        n += 1;
    }
    assert_eq!(n, 14, "zb's workload set, one preset each");
    // One preset run small: its own workload mix, sizes shrunk by flags.
    let out_dir = tempfile::tempdir().unwrap();
    let smaller = out_dir.path().join("smaller.json");
    let bigger = out_dir.path().join("bigger.json");
    let preset = dir.join("pull75-push25-1mib.yaml");
    let (out, _r, _d) = load(&[
        preset.to_str().unwrap(),
        "--blob-size",
        "4KiB",
        "--pool",
        "2",
        "-c",
        "2",
        "--warmup",
        "0s",
        "--duration",
        "1s",
        "--report",
        &format!("bench-smaller={}", smaller.display()),
        "--report",
        &format!("bench-bigger={}", bigger.display()),
    ]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let read = |p: &std::path::Path| -> Vec<Value> {
        serde_json::from_str(&std::fs::read_to_string(p).unwrap()).expect("a JSON array")
    };
    let (smaller, bigger) = (read(&smaller), read(&bigger));
    let names = |v: &[Value]| -> Vec<String> {
        v.iter()
            .map(|e| e["name"].as_str().unwrap().to_string())
            .collect()
    };
    for want in ["pull p99", "push p99", "total error rate"] {
        assert!(
            names(&smaller).contains(&want.to_string()),
            "{:?}",
            names(&smaller)
        );
    }
    for want in ["pull ops/s", "push MB/s", "total ops/s"] {
        assert!(
            names(&bigger).contains(&want.to_string()),
            "{:?}",
            names(&bigger)
        );
    }
    let rps = bigger.iter().find(|e| e["name"] == "total ops/s").unwrap();
    assert!(rps["value"].as_f64().unwrap() > 0.0);
}

#[test]
fn image_pull_fetches_whole_images_verified() {
    // 4 layers of 16 KiB per image: each operation moves at least 64 KiB (plus the small
    // manifest and config).
    let args = [
        "--workload",
        "image-pull",
        "--blob-size",
        "16KiB",
        "--pool",
        "8",
        "--image-layers",
        "4",
        "-n",
        "40",
        "-c",
        "4",
    ];
    let (out, r, _d) = load(&args);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_consistent(&r);
    let img = op(&r, "image-pull");
    assert_eq!((u(&img["requests"]), u(&img["errors"])), (40, 0), "{img}");
    let per_op = u(&img["bytes"]) / 40;
    assert!(
        (4 * 16384..4 * 16384 + 4096).contains(&per_op),
        "{per_op} bytes per image"
    );
    // Each request kind inside the images is measured apart.
    let kinds = &img["requests_by_kind"];
    for (kind, count) in [
        ("resolve", 40),
        ("manifest", 40),
        ("config", 40),
        ("layer", 160),
    ] {
        assert_eq!(u(&kinds[kind]["count"]), count, "{kind}: {kinds}");
        assert!(
            u(&kinds[kind]["p99_us"]) <= u(&img["latency"]["max_us"]),
            "{kind}"
        );
    }
    assert!(
        out.stdout.contains("image-pull requests: config"),
        "{}",
        out.stdout
    );
    // One single-layer manifest per pool blob, and pool / layers images.
    assert_eq!(
        u(&r["load"]["prepare"]["manifests"]),
        8 + 2,
        "{}",
        r["load"]["prepare"]
    );
    // A layer with one byte flipped fails the whole image, as wrong bytes.
    let mut faulty = vec!["--embedded-fault", "corrupt-blob-body"];
    faulty.extend_from_slice(&args);
    let (out, r, _d) = load(&faulty);
    assert_eq!(out.code, 1);
    let img = op(&r, "image-pull");
    assert_eq!(u(&img["errors_by_kind"]["digest_mismatch"]), 40, "{img}");
    // A real registry serves whole images too.
    let d = Distribution::start();
    let mut real = vec!["--target", d.url.as_str()];
    real.extend_from_slice(&args);
    let (out, r, _d) = load(&real);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(u(&op(&r, "image-pull")["errors"]), 0);
}

#[test]
fn image_push_pushes_whole_images_and_cleans_them_up() {
    let d = Distribution::start();
    let (out, r, _d) = load(&[
        "--target",
        &d.url,
        "--workload",
        "image-push=40,image-push-chunked=20,image-pull=40",
        "--blob-size",
        "16KiB",
        "--chunk-size",
        "4KiB",
        "--pool",
        "4",
        "--image-layers",
        "3",
        "-n",
        "30",
        "-c",
        "3",
    ]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_consistent(&r);
    let push = op(&r, "image-push");
    assert_eq!(u(&push["errors"]), 0, "{push}");
    let per_op = u(&push["bytes"]) / u(&push["requests"]);
    assert!((3 * 16384..3 * 16384 + 4096).contains(&per_op), "{per_op}");
    let kinds = &push["requests_by_kind"];
    assert_eq!(
        u(&kinds["layer"]["count"]),
        3 * u(&push["requests"]),
        "{kinds}"
    );
    assert_eq!(
        u(&kinds["manifest"]["count"]),
        u(&push["requests"]),
        "{kinds}"
    );
    // Every layer, config and manifest pushed was deleted again (Distribution allows it).
    let chunked = op(&r, "image-push-chunked");
    assert_eq!(u(&chunked["errors"]), 0, "{chunked}");
    let pushed = u(&push["requests"]) + u(&chunked["requests"]);
    let cleanup = &r["cleanup"];
    assert!(u(&cleanup["deleted"]) >= 4 * pushed, "{cleanup}");
    assert!(
        cleanup["leftovers"].as_array().unwrap().is_empty(),
        "{cleanup}"
    );
}

#[test]
fn image_workloads_go_through_a_multi_platform_index() {
    // Three platforms of two 8 KiB layers: a pull reads the index, one platform's manifest,
    // its config and its two layers; a push writes three platform images and the index.
    let args = [
        "--workload",
        "image-pull=50,image-push=50",
        "--image-platforms",
        "3",
        "--image-layers",
        "2",
        "--blob-size",
        "8KiB",
        "--pool",
        "12",
        "-n",
        "30",
        "-c",
        "3",
    ];
    let check = |r: &serde_json::Value| {
        let pull = op(r, "image-pull");
        let pulls = u(&pull["requests"]);
        assert!(pulls > 0 && u(&pull["errors"]) == 0, "{pull}");
        let kinds = &pull["requests_by_kind"];
        for kind in ["resolve", "index", "manifest", "config"] {
            assert_eq!(u(&kinds[kind]["count"]), pulls, "{kind}: {kinds}");
        }
        assert_eq!(u(&kinds["layer"]["count"]), 2 * pulls, "{kinds}");
        let per_pull = u(&pull["bytes"]) / pulls;
        assert!(
            (2 * 8192..2 * 8192 + 8192).contains(&per_pull),
            "{per_pull}"
        );
        let push = op(r, "image-push");
        let pushes = u(&push["requests"]);
        assert!(pushes > 0 && u(&push["errors"]) == 0, "{push}");
        let kinds = &push["requests_by_kind"];
        assert_eq!(u(&kinds["index"]["count"]), pushes, "{kinds}");
        assert_eq!(u(&kinds["manifest"]["count"]), 3 * pushes, "{kinds}");
        assert_eq!(u(&kinds["config"]["count"]), 3 * pushes, "{kinds}");
        assert_eq!(u(&kinds["layer"]["count"]), 6 * pushes, "{kinds}");
        pushes
    };
    let (out, r, _d) = load(&args);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_consistent(&r);
    check(&r);
    // Pool: 12 single-layer manifests, then 2 images of 3 platform manifests and an index.
    assert_eq!(u(&r["load"]["prepare"]["manifests"]), 12 + 2 * 4);
    // A real registry serves and takes multi-platform images too, and the cleanup removes
    // every index, manifest, config and layer pushed (13 objects per push).
    let d = Distribution::start();
    let mut real = vec!["--target", d.url.as_str()];
    real.extend_from_slice(&args);
    let (out, r, _d) = load(&real);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let pushes = check(&r);
    let cleanup = &r["cleanup"];
    assert!(u(&cleanup["deleted"]) >= 13 * pushes, "{cleanup}");
    assert!(
        cleanup["leftovers"].as_array().unwrap().is_empty(),
        "{cleanup}"
    );
    // Past the bound it is a configuration error.
    let (out, _, _d) = load(&[
        "--workload",
        "image-pull",
        "--image-platforms",
        "65",
        "-n",
        "1",
    ]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("--image-platforms"), "{}", out.stderr);
}

#[test]
fn distribution_holds_a_mixed_load() {
    let d = Distribution::start();
    let (out, r, _d) = load(&[
        "--target",
        &d.url,
        "--workload",
        "pull=50,pull-range=10,head=10,push=10,push-chunked=10,manifest-get=5,manifest-put=5",
        "--blob-size",
        "4KiB:50,64KiB:50",
        "--chunk-size",
        "16KiB",
        "--duration",
        "2s",
        "-c",
        "4",
    ]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_consistent(&r);
    assert_eq!(
        u(&r["load"]["total"]["errors"]),
        0,
        "{}",
        r["load"]["total"]["examples"]
    );
    assert!(u(&r["load"]["total"]["requests"]) > 50);
    // Object by object cleanup on an OCI target (delete enabled).
    assert!(u(&r["cleanup"]["deleted"]) > 16, "{}", r["cleanup"]);
    assert_eq!(
        r["cleanup"]["leftovers"].as_array().unwrap().len(),
        0,
        "{}",
        r["cleanup"]
    );
}

/// `regcheck serve` as a child process on a free port; killed on drop.
struct Served {
    child: Child,
    url: String,
    // Kept open: `serve` prints more lines and must not hit a closed pipe.
    _stdout: BufReader<std::process::ChildStdout>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-CONT", &self.child.id().to_string()])
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve() -> Served {
    serve_with(crate::common::free_port(), &[])
}

/// `regcheck serve` on `port` with `extra` flags.
fn serve_with(port: u16, extra: &[&std::ffi::OsStr]) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_regcheck"))
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start regcheck serve");
    let mut line = String::new();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    stdout
        .read_line(&mut line)
        .expect("serve prints its address");
    assert!(line.contains("listening"), "{line}");
    Served {
        child,
        url: format!("http://127.0.0.1:{port}"),
        _stdout: stdout,
    }
}

/// `regcheck serve` on `port` keeping blobs in `storage` (so a restart serves the same pool).
fn serve_stored(port: u16, storage: &std::path::Path) -> Served {
    serve_with(port, &["--storage".as_ref(), storage.as_os_str()])
}

/// A closed-model pull load during which the registry is killed for about two seconds and
/// started again on the same port and storage.
fn load_through_an_outage(extra: &[&str]) -> (Option<i32>, Value, String) {
    let storage = tempfile::tempdir().unwrap();
    let port = crate::common::free_port();
    let first = serve_stored(port, storage.path());
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.json");
    let spec = format!("json={}", report.display());
    let mut args = vec![
        "load",
        "-q",
        "--target",
        &first.url,
        "--workload",
        "pull",
        "--blob-size",
        "4KiB",
        "--pool",
        "2",
        "-c",
        "4",
        "--duration",
        "6s",
        "--report",
        &spec,
    ];
    args.extend_from_slice(extra);
    let load = Command::new(env!("CARGO_BIN_EXE_regcheck"))
        .args(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start load");
    std::thread::sleep(Duration::from_millis(2000));
    drop(first);
    std::thread::sleep(Duration::from_millis(2000));
    let _second = serve_stored(port, storage.path());
    let out = load.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let r = if report.exists() {
        read_report(&report)
    } else {
        Value::Null
    };
    (out.status.code(), r, stdout)
}

#[test]
fn an_outage_backs_off_recovers_is_reported_and_fails_the_run() {
    let (code, r, stdout) = load_through_an_outage(&[]);
    assert_eq!(
        code,
        Some(1),
        "errors without an error threshold exit 1\n{stdout}"
    );
    assert_consistent(&r);
    let total = &r["load"]["total"];
    let errors = u(&total["errors"]);
    assert!(errors > 0, "{total}");
    assert_eq!(u(&total["errors_by_kind"]["connection"]), errors, "{total}");
    // Backed off: 4 workers over ~2 s of outage, waits doubling from 10 ms to 1 s, make some
    // tens of attempts; spinning made ~40,000 a second.
    assert!(errors < 400, "{errors} failed operations: the workers spun");
    // Throughput counts successes only.
    let secs = r["load"]["measured_secs"].as_f64().unwrap();
    let ok = u(&total["requests"]) - errors;
    let rps = total["rps"].as_f64().unwrap();
    assert!(
        (rps - ok as f64 / secs).abs() < 1e-6 * rps.max(1.0),
        "{total}"
    );
    assert!(total["errors_per_sec"].as_f64().unwrap() > 0.0);
    // The outage is on the timeline and in the report, and the run recovered after it.
    let outages = r["load"]["outages"].as_array().expect("outages listed");
    assert!(!outages.is_empty(), "{}", r["load"]["timeline"]);
    let o = &outages[0];
    let (start, end) = (u(&o["start_s"]), u(&o["end_s"]));
    assert!((1..=3).contains(&start) && end > start, "{o}");
    let timeline = r["load"]["timeline"].as_array().unwrap();
    let recovered = timeline
        .iter()
        .filter(|p| u(&p["t"]) >= end)
        .any(|p| u(&p["requests"]) > u(&p["errors"]));
    assert!(recovered, "no success after the outage: {timeline:?}");
    assert!(stdout.contains("outage:"), "{stdout}");
    // A target of its own process: the generator's CPU is its own alone.
    let cpu = &r["load"]["generator_cpu"];
    assert!(cpu["user_secs"].as_f64().unwrap() > 0.0, "{cpu}");
    assert!(cpu.get("includes_target").is_none(), "{cpu}");
}

#[test]
fn an_error_threshold_decides_over_an_outage() {
    let (code, r, stdout) = load_through_an_outage(&["--threshold", "error_rate<50%"]);
    assert!(u(&r["load"]["total"]["errors"]) > 0);
    assert_eq!(code, Some(0), "the error threshold held\n{stdout}");
}

/// `regcheck serve --one-at-a-time DELAY` on a free port: capacity 1/DELAY.
fn serve_one_at_a_time(delay: &str) -> Served {
    let port = crate::common::free_port();
    serve_with(port, &["--one-at-a-time".as_ref(), delay.as_ref()])
}

/// `load --find-max` of 4 KiB pulls against `url` with one SLO and steps of `step`.
fn find_max(
    url: &str,
    slo: &str,
    extra: &[&str],
    step: &str,
) -> (crate::common::CliOutput, Value, tempfile::TempDir) {
    let mut args = vec![
        "--target",
        url,
        "--workload",
        "pull",
        "--blob-size",
        "4KiB",
        "--pool",
        "2",
        "--find-max",
        "--slo",
        slo,
        "--step-duration",
        step,
    ];
    args.extend_from_slice(extra);
    load(&args)
}

#[test]
fn find_max_reports_a_known_capacity_within_15_percent() {
    // One request at a time, 20 ms each: 50 operations a second at most.
    let s = serve_one_at_a_time("20ms");
    let t = Instant::now();
    let (out, r, _d) = find_max(&s.url, "pull.p99<100ms", &["--start-rate", "10"], "2s");
    assert!(t.elapsed() < Duration::from_secs(60), "{:?}", t.elapsed());
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let c = &r["load"]["capacity"];
    let held = c["max_rate_held"].as_f64().expect("a rate held");
    assert!(
        (42.5..=57.5).contains(&held),
        "capacity 50/s, found {held}: {c}"
    );
    let broken = c["first_rate_broken"].as_f64().expect("a rate broke");
    assert!(broken > held && broken <= held * 1.06, "{c}");
    let steps = c["steps"].as_array().unwrap();
    assert!(steps.len() <= 12, "bounded: {} steps", steps.len());
    // Below capacity the rate asked is achieved; far above it, not.
    let achieved = |rate: f64| {
        steps
            .iter()
            .find(|s| s["rate"].as_f64() == Some(rate))
            .map(|s| s["achieved_rps"].as_f64().unwrap())
    };
    assert!(achieved(20.0).unwrap() > 18.0, "{c}");
    assert!(achieved(80.0).unwrap() < 60.0, "{c}");
    assert!(out.stdout.contains("capacity:"), "{}", out.stdout);
    // An SLO no rate can hold: no capacity, exit 1.
    let (out, r, _d) = find_max(&s.url, "pull.p99<1ms", &[], "1s");
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(r["load"]["capacity"]["max_rate_held"].is_null());
}

fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .expect("kill");
    assert!(ok.success());
}

/// Runs a load against a registry that is frozen (SIGSTOP) for one second in the middle.
fn load_through_a_stall(model: &[&str]) -> Value {
    let s = serve();
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.json");
    let spec = format!("json={}", report.display());
    let mut args = vec![
        "load",
        "-q",
        "--target",
        &s.url,
        "--workload",
        "pull",
        "--blob-size",
        "4KiB",
        "--duration",
        "4s",
        "--report",
        &spec,
    ];
    args.extend_from_slice(model);
    let mut child = Command::new(env!("CARGO_BIN_EXE_regcheck"))
        .args(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start load");
    std::thread::sleep(Duration::from_millis(1800));
    signal(s.child.id(), "-STOP");
    std::thread::sleep(Duration::from_secs(1));
    signal(s.child.id(), "-CONT");
    let status = child.wait().expect("load ends");
    assert_eq!(status.code(), Some(0));
    read_report(&report)
}

#[test]
fn a_stall_shows_in_the_open_models_p99_and_hides_in_the_closed_model() {
    let open = load_through_a_stall(&["--rate", "100"]);
    let p99 = u(&op(&open, "pull")["latency"]["p99_us"]);
    assert!(
        p99 >= 700_000,
        "open model p99 {p99} µs should include the 1 s stall"
    );
    // Coordinated omission: two closed-model workers wait the stall out once each, so it
    // barely reaches the percentiles (the max still shows it).
    let closed = load_through_a_stall(&["-c", "2"]);
    let pull = op(&closed, "pull");
    assert!(u(&pull["latency"]["max_us"]) >= 700_000, "{pull}");
    assert!(
        u(&pull["latency"]["p99_us"]) < p99,
        "closed p99 {} vs open {p99}",
        pull["latency"]["p99_us"]
    );
}

#[test]
fn shards_merge_exactly() {
    let s = serve();
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<_> = (0..2)
        .map(|i| dir.path().join(format!("s{i}.json")))
        .collect();
    let children: Vec<Child> = (0..2)
        .map(|i| {
            Command::new(env!("CARGO_BIN_EXE_regcheck"))
                .args([
                    "load",
                    "-q",
                    "--target",
                    &s.url,
                    "--workload",
                    "pull=80,push=20",
                    "--blob-size",
                    "4KiB",
                    "--pool",
                    "8",
                    "--shard",
                    &format!("{i}/2"),
                    "-n",
                    "150",
                    "-c",
                    "3",
                    "--report",
                    &format!("json={}", paths[i].display()),
                ])
                .stdout(Stdio::null())
                .spawn()
                .expect("start shard")
        })
        .collect();
    for mut c in children {
        assert_eq!(c.wait().unwrap().code(), Some(0));
    }
    let parts: Vec<Value> = paths.iter().map(|p| read_report(p)).collect();
    // Each shard pushed its half of the pool into its own repositories.
    assert_eq!(u(&parts[0]["load"]["prepare"]["blobs"]), 4);
    assert_eq!(u(&parts[1]["load"]["prepare"]["blobs"]), 4);
    let merged_path = dir.path().join("merged.json");
    let out = regcheck(&[
        "report",
        "merge",
        paths[0].to_str().unwrap(),
        paths[1].to_str().unwrap(),
        "-o",
        merged_path.to_str().unwrap(),
        "--threshold",
        "requests>=300",
    ]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let m = read_report(&merged_path);
    assert_consistent(&m);
    assert_eq!(u(&m["load"]["shards"]), 2);
    assert_eq!(u(&m["load"]["total"]["requests"]), 300);
    for name in ["pull", "push"] {
        let sum: u64 = parts.iter().map(|p| u(&op(p, name)["requests"])).sum();
        assert_eq!(u(&op(&m, name)["requests"]), sum);
        let count: u64 = parts
            .iter()
            .map(|p| histogram_count(&op(p, name)["latency"]))
            .sum();
        assert_eq!(
            histogram_count(&op(&m, name)["latency"]),
            count,
            "histograms added exactly"
        );
        let max = parts
            .iter()
            .map(|p| u(&op(p, name)["latency"]["max_us"]))
            .max()
            .unwrap();
        assert_eq!(u(&op(&m, name)["latency"]["max_us"]), max);
    }
    let out = regcheck(&[
        "report",
        "merge",
        paths[0].to_str().unwrap(),
        "--threshold",
        "requests>=300",
    ]);
    assert_eq!(out.code, 1, "one shard alone has 150");
    let out = regcheck(&["report", "merge", "Cargo.toml"]);
    assert_eq!(out.code, 2);
}

#[test]
fn ctrl_c_stops_cleanly_and_still_writes_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.json");
    let child = Command::new(env!("CARGO_BIN_EXE_regcheck"))
        .args([
            "load",
            "-q",
            "--workload",
            "pull",
            "--blob-size",
            "4KiB",
            "--duration",
            "60s",
            "-c",
            "2",
            "--report",
            &format!("json={}", report.display()),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start load");
    std::thread::sleep(Duration::from_secs(2));
    let t = Instant::now();
    signal(child.id(), "-INT");
    let out = child.wait_with_output().unwrap();
    assert!(
        t.elapsed() < Duration::from_secs(10),
        "stopped in {:?}",
        t.elapsed()
    );
    assert_eq!(
        out.status.code(),
        Some(130),
        "Ctrl-C exits 130 with the partial report\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = read_report(&report);
    assert_eq!(r["load"]["interrupted"], true);
    assert!(u(&r["load"]["total"]["requests"]) > 0);
    assert!(r["load"]["measured_secs"].as_f64().unwrap() < 30.0);
    assert_consistent(&r);
}

#[test]
fn the_open_model_keeps_its_schedule_through_stages() {
    // Ramp 0 → 100/s over 1 s (50 arrivals), hold 100/s for 1 s (100 arrivals).
    let (out, r, _d) = load(&[
        "--workload",
        "pull",
        "--blob-size",
        "4KiB",
        "--rate",
        "1",
        "--stages",
        "1s:100,1s:100",
    ]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_consistent(&r);
    let n = u(&r["load"]["total"]["requests"]);
    assert!((140..=155).contains(&n), "{n} arrivals, expected about 150");
    let secs = r["load"]["measured_secs"].as_f64().unwrap();
    assert!((1.9..3.0).contains(&secs), "{secs}");
    // A constant rate with a request bound: exactly that many, at about that pace.
    let t = Instant::now();
    let (out, r, _d) = load(&["--workload", "head", "--rate", "200", "-n", "300"]);
    assert_eq!(out.code, 0);
    assert_eq!(u(&r["load"]["total"]["requests"]), 300);
    let secs = r["load"]["measured_secs"].as_f64().unwrap();
    assert!((1.3..2.5).contains(&secs), "300 at 200/s took {secs} s");
    assert!(t.elapsed() < Duration::from_secs(20));
}

#[test]
fn hostile_blob_answers_are_counted_by_kind_and_the_run_ends_on_time() {
    for (fault, kind) in [
        ("body-cut-short", "body"),
        ("reset-mid-body", "body"),
        ("content-length-short", "body"),
        ("slow-blob-body", "timeout"),
        // An unrequested Content-Encoding is refused before the body is read (no inflation).
        ("gzip-bomb", "contract"),
        ("redirect-loop", "contract"),
    ] {
        // The hostile layer closes each connection after one answer; a pooled connection it
        // closed under a new request is a connection error, the rest are of `kind`.
        let t = Instant::now();
        let (out, r, _d) = load(&[
            "--embedded-fault",
            fault,
            "--workload",
            "pull",
            "--blob-size",
            "4KiB",
            "--duration",
            "2s",
            "-c",
            "4",
            "--timeout",
            "2",
            "--threshold",
            "error_rate<1%",
        ]);
        let took = t.elapsed();
        // Measured 2 s, plus at most one request deadline for what was in flight, plus setup.
        assert!(took < Duration::from_secs(12), "{fault}: took {took:?}");
        assert_eq!(
            out.code, 1,
            "{fault}: the error-rate threshold trips\n{}{}",
            out.stdout, out.stderr
        );
        assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
        assert_consistent(&r);
        let pull = op(&r, "pull");
        assert!(u(&pull["requests"]) > 0, "{fault}");
        let of_kind = u(&pull["errors_by_kind"][kind]);
        let closed = pull["errors_by_kind"]["connection"].as_u64().unwrap_or(0);
        assert!(of_kind > 0, "{fault}: {pull}");
        assert_eq!(of_kind + closed, u(&pull["errors"]), "{fault}: {pull}");
        assert_eq!(
            u(&pull["errors"]),
            u(&pull["requests"]),
            "{fault}: every pull fails"
        );
        assert!(
            out.stdout.contains("errors in pull: ")
                && out.stdout.contains(&format!("{kind} {of_kind}")),
            "{}",
            out.stdout
        );
    }
}

#[test]
fn without_report_flags_a_load_run_writes_every_format_into_its_run_directory() {
    let dir = tempfile::tempdir().unwrap();
    let out = crate::common::regcheck_env(
        &[
            "load",
            "-q",
            "-n",
            "20",
            "--blob-size",
            "4KiB",
            "--report-dir",
            dir.path().to_str().unwrap(),
        ],
        &[("REGCHECK_NO_REPORT", "0")],
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let runs: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().collect();
    assert_eq!(runs.len(), 1, "one run directory");
    let run = runs[0].path();
    assert!(
        out.stdout.contains(&run.display().to_string()),
        "{}",
        out.stdout
    );
    for f in ["report.json", "junit.xml", "report.md", "report.html"] {
        assert!(run.join(f).is_file(), "{f} missing in {}", run.display());
    }
    let r = read_report(&run.join("report.json"));
    assert_eq!(r["kind"], "load");
    assert_eq!(u(&r["load"]["total"]["requests"]), 20);
}
