//! Criterion benchmarks of the load engine's per-operation hot paths: verifying a streamed body
//! (sha256 against a digest, and byte-for-byte against a generated range), recording a sample
//! into the HDR histograms, and building a request. Run with `cargo bench --bench load`; no
//! network involved.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use regcheck::blob::BlobGen;
use regcheck::load::Workload;
use regcheck::load::metrics::{Metrics, Sample};
use regcheck::load::verify::{BodyCheck, Verify};
use std::hint::black_box;
use std::time::Duration;

fn verification(c: &mut Criterion) {
    let mut g = c.benchmark_group("verify");
    for size in [4 * 1024u64, 1024 * 1024] {
        let blob = BlobGen::new("bench", 1, size);
        let digest = blob.digest();
        let body: Vec<u8> = blob.all().flat_map(|b| b.to_vec()).collect();
        g.throughput(Throughput::Bytes(size));
        g.bench_function(format!("sha256 {size} B in 16 KiB chunks"), |b| {
            b.iter(|| {
                let mut check = BodyCheck::new(Verify::Digest(&digest), Some(size));
                for piece in body.chunks(16 * 1024) {
                    check.update(piece).expect("in bounds");
                }
                black_box(check.finish().expect("matches"))
            })
        });
        g.bench_function(format!("compare {size} B in 16 KiB chunks"), |b| {
            b.iter(|| {
                let mut check = BodyCheck::new(Verify::Bytes { blob, start: 0 }, Some(size));
                for piece in body.chunks(16 * 1024) {
                    check.update(piece).expect("in bounds");
                }
                black_box(check.finish().expect("matches"))
            })
        });
    }
    g.finish();
}

fn recording(c: &mut Criterion) {
    let mut metrics = Metrics::default();
    let mut i = 0u64;
    c.bench_function("record one sample", |b| {
        b.iter(|| {
            i += 1;
            metrics.record(black_box(&Sample {
                op: Workload::Pull,
                latency: Duration::from_micros(200 + i % 5000),
                ttfb: Some(Duration::from_micros(100 + i % 3000)),
                bytes: 4096,
                at: Duration::from_millis(i % 60_000),
                failure: None,
                parts: Vec::new(),
            }))
        })
    });
}

fn request_building(c: &mut Criterion) {
    let client = reqwest::Client::new();
    let url = url::Url::parse(
        "http://127.0.0.1:5000/v2/regcheck-load-x/load-s0-pool/blobs/sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    )
    .expect("url");
    c.bench_function("build a pull request", |b| {
        b.iter(|| {
            black_box(
                client
                    .get(url.clone())
                    .header("authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig")
                    .build()
                    .expect("builds"),
            )
        })
    });
}

criterion_group!(benches, verification, recording, request_building);
criterion_main!(benches);
