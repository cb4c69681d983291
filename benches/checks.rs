//! Criterion benchmarks of the per-response hot path: generating and hashing blob content
//! (every body is streamed through sha256) and evaluating the contract rules of one exchange.
//! Run with `cargo bench --bench checks`; no network involved.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use regcheck::blob::BlobGen;
use regcheck::contract::{self, Operation};
use regcheck::exchange::{
    Exchange, ExchangeContext, ObservedBody, ObservedRequest, ObservedResponse,
};
use std::hint::black_box;

fn blob_digest(c: &mut Criterion) {
    let size = 16 * 1024 * 1024;
    let blob = BlobGen::new("bench", 1, size);
    let mut g = c.benchmark_group("blob");
    g.throughput(Throughput::Bytes(size));
    g.sample_size(10);
    g.bench_function("generate+sha256 16MiB", |b| {
        b.iter(|| black_box(blob.digest()))
    });
    g.finish();
}

fn contract_evaluate(c: &mut Criterion) {
    let body: Vec<u8> = BlobGen::new("bench", 2, 64 * 1024)
        .all()
        .flat_map(|b| b.to_vec())
        .collect();
    let digest = regcheck::blob::sha256_digest(&body);
    let ex = Exchange {
        op: Operation::GetChunk,
        request: ObservedRequest {
            method: "GET".into(),
            url: format!("http://127.0.0.1:5000/v2/ns/repo/blobs/{digest}"),
            headers: vec![("Range".into(), "bytes=0-65535".into())],
            ..Default::default()
        },
        response: ObservedResponse {
            status: 206,
            headers: vec![
                ("Content-Length".into(), body.len().to_string()),
                (
                    "Content-Range".into(),
                    format!("bytes 0-65535/{}", body.len()),
                ),
                ("Docker-Content-Digest".into(), digest.clone()),
                (
                    "Docker-Distribution-Api-Version".into(),
                    "registry/2.0".into(),
                ),
            ],
            body: ObservedBody {
                len: body.len() as u64,
                digest,
                bytes: Some(body.into()),
                incomplete: None,
            },
        },
        context: ExchangeContext {
            expects_api_version_header: true,
            ranges_advertised: true,
            ..Default::default()
        },
    };
    c.bench_function("contract::evaluate GetChunk 206", |b| {
        b.iter(|| black_box(contract::evaluate(black_box(&ex))))
    });
}

criterion_group!(benches, blob_digest, contract_evaluate);
criterion_main!(benches);
