//! Parse and print a typical carrier INVITE (~1.4 kB: three Vias, two
//! Record-Routes, P-Asserted-Identity, unknown headers, SDP body).
//! Requirement: parse + re-serialize <= 5 µs.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use dce_sip::{Message, Response, StatusCode};

const INVITE: &[u8] = include_bytes!("carrier-invite.sip");

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("carrier_invite");
    g.throughput(Throughput::Bytes(INVITE.len() as u64));
    g.bench_function("parse", |b| {
        b.iter(|| Message::parse(black_box(INVITE)).is_ok())
    });
    g.bench_function("parse_print", |b| {
        let mut out = Vec::with_capacity(2048);
        b.iter(|| {
            out.clear();
            if let Ok(m) = Message::parse(black_box(INVITE)) {
                m.write_to(&mut out);
            }
            out.len()
        })
    });
    g.bench_function("parse_views_trying", |b| {
        // What the hot path does: parse, read the transaction key, answer 100.
        b.iter(|| {
            let Ok(Message::Request(req)) = Message::parse(black_box(INVITE)) else {
                return 0;
            };
            let branch_len = req
                .headers()
                .top_via()
                .ok()
                .and_then(|v| v.branch())
                .map_or(0, str::len);
            let trying = Response::for_request(&req, StatusCode::TRYING, "Trying");
            trying.to_bytes().len() + branch_len
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
