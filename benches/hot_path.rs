//! The per-payload hot path, in process: splitting a capture, parsing and judging one payload,
//! rendering its record. `cargo bench` prints the timings; `scripts/bench.sh` measures whole
//! runs against other validators.

use jerahook::catalog::{self, EVENTS};
use jerahook::reader::{Piece, Position, Splitter};
use jerahook::schemas::SchemaSet;
use jerahook::validate::{self, Options};

fn main() {
    divan::main();
}

/// One compact line per event, all 27 events.
fn capture() -> Vec<u8> {
    let mut text = Vec::new();
    for event in EVENTS {
        let value: serde_json::Value = serde_json::from_str(event.example).unwrap();
        serde_json::to_writer(&mut text, &value).unwrap();
        text.push(b'\n');
    }
    text
}

fn piece(id: &str) -> Piece {
    let value: serde_json::Value =
        serde_json::from_str(catalog::find(id).unwrap().example).unwrap();
    Piece::Value {
        start: Position { line: 1, column: 1 },
        bytes: serde_json::to_vec(&value).unwrap(),
    }
}

#[divan::bench]
fn split_27_payloads(bencher: divan::Bencher) {
    let text = capture();
    bencher
        .counter(divan::counter::BytesCount::of_slice(&text))
        .bench(|| Splitter::new(divan::black_box(&text[..])).count());
}

/// A valid payload through the full judge: parsed into a `Value` and validated (what `inspect`
/// and `listen` do, as they show the payload).
#[divan::bench(args = ["clients.create", "accounting.payments.create", "importd.process_success"])]
fn judge_valid(bencher: divan::Bencher, id: &str) {
    let schemas = SchemaSet::built_in();
    bencher.with_inputs(|| piece(id)).bench_values(|piece| {
        validate::judge(piece, "-", 0, &schemas, Options::default()).unwrap()
    });
}

/// The same payload through the fast lane, as `validate` judges it.
#[divan::bench(args = ["clients.create", "accounting.payments.create", "importd.process_success"])]
fn judge_valid_fast_lane(bencher: divan::Bencher, id: &str) {
    let schemas = SchemaSet::built_in();
    let options = Options {
        keep_payload: false,
        ..Options::default()
    };
    bencher
        .with_inputs(|| piece(id))
        .bench_values(|piece| validate::judge(piece, "-", 0, &schemas, options).unwrap());
}

#[divan::bench]
fn judge_invalid_with_positions(bencher: divan::Bencher) {
    let schemas = SchemaSet::built_in();
    let text = r#"{"event":{"dt":"2025-13-45T00:00:00Z","events_id":"clients.create","object_id":"12a"},"data":{"id":"x","name":5}}"#;
    bencher
        .with_inputs(|| Piece::Value {
            start: Position { line: 1, column: 1 },
            bytes: text.as_bytes().to_vec(),
        })
        .bench_values(|piece| {
            validate::judge(piece, "-", 0, &schemas, Options::default()).unwrap()
        });
}

#[divan::bench]
fn render_json_record(bencher: divan::Bencher) {
    let schemas = SchemaSet::built_in();
    let (record, _) = validate::judge(
        piece("clients.create"),
        "-",
        0,
        &schemas,
        Options::default(),
    )
    .unwrap();
    let mut out = Vec::with_capacity(1024);
    bencher.bench_local(|| {
        out.clear();
        jerahook::render::record_json(&mut out, &record).unwrap();
    });
}
