//! Reads inputs, judges their payloads and renders the results, in input order, on one thread
//! or on several.
//!
//! One reader splits the inputs into batches of pieces. A batch ends when it is full or when the
//! reader has used up what the input had ready, so on a pipe (`tail -f`) every payload moves on
//! as soon as it has arrived. Workers judge and render batches; the caller receives them back in
//! order. A fixed number of tickets bounds the batches in flight, so memory stays bounded by a
//! few batches however long the input is and however unevenly the work is spread.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TryRecvError, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Result, anyhow};
use serde_json::Value;

use crate::catalog::{self, Event};
use crate::input::inputs::{self, Input};
use crate::input::reader::{self, Piece, Position, Splitter, Step};
use crate::judge::codes::Code;
use crate::judge::report::{Issue, Record, Summary};
use crate::judge::schemas::SchemaSet;
use crate::judge::validate::{self, Options};

/// A batch is sent on once it holds this many pieces...
const BATCH_PIECES: usize = 1024;
/// ...or this many bytes of them.
const BATCH_BYTES: usize = 256 << 10;

/// Turns each judged payload into output bytes.
pub trait Render: Sync {
    fn render(&self, record: &Record, payload: Option<&Value>, out: &mut Vec<u8>) -> Result<()>;

    /// Whether `render` shows the payload itself; if not, valid payloads may come without it.
    fn shows_payload(&self) -> bool {
        true
    }
}

/// One thing the reader found in the inputs, in order.
enum Item {
    /// What should be one JSON document: its bytes are `range` of [`Batch::text`].
    Value {
        /// Where in [`Batch::sources`] its input's name is.
        source: usize,
        index: usize,
        start: Position,
        range: std::ops::Range<usize>,
    },
    /// Any other piece (stray text, a document too large, an input not in UTF-8).
    Piece {
        /// Where in [`Batch::sources`] its input's name is.
        source: usize,
        index: usize,
        piece: Piece,
    },
    /// An input that held no payload at all.
    Empty(Arc<str>),
    /// An input that could not be opened or read to its end, and why.
    Unreadable { source: Arc<str>, reason: String },
}

/// Pieces and what reading them consumed.
#[derive(Default)]
struct Batch {
    items: Vec<Item>,
    /// The names of the inputs the pieces come from, each once: a name shared by every piece
    /// would have its count changed by the reader and by a worker for each piece.
    sources: Vec<Arc<str>>,
    /// The bytes of every [`Item::Value`], one after another: one allocation for the batch,
    /// where a buffer per piece would be allocated by the reader and freed by a worker.
    text: Vec<u8>,
    bytes: u64,
}

impl Batch {
    /// An empty batch with room for a full one's text, so that filling it never copies it.
    fn new() -> Batch {
        Batch {
            text: Vec::with_capacity(BATCH_BYTES + (64 << 10)),
            ..Batch::default()
        }
    }

    /// The index of `source` in [`Batch::sources`], adding it if it is new.
    fn source(&mut self, source: &Arc<str>) -> usize {
        if !self
            .sources
            .last()
            .is_some_and(|last| Arc::ptr_eq(last, source))
        {
            self.sources.push(Arc::clone(source));
        }
        self.sources.len() - 1
    }
}

/// A judged and rendered batch.
#[derive(Debug, Default)]
pub struct Done {
    /// The rendered records, ready for standard output.
    pub out: Vec<u8>,
    /// The records, when [`Work::keep_records`] asks for them.
    pub records: Vec<Record>,
    /// The records counted (on the worker, so the thread that writes output only adds up).
    pub summary: Summary,
    /// Inputs that could not be opened or read to their end (each also a record).
    pub unreadable: usize,
    /// Input bytes this batch consumed, for progress.
    pub bytes: u64,
    /// Payloads of events `--events` does not select: judged for their event id only.
    pub skipped: usize,
}

/// What every worker needs.
pub struct Work<'a, R: Render> {
    pub schemas: &'a SchemaSet,
    pub options: Options,
    /// Only payloads of these events are rendered and counted (`--events`); empty: all.
    /// Records without an event id (broken input) are always shown.
    pub events: &'a [&'static Event],
    pub render: R,
    /// Hand every record back in [`Done::records`] (a JUnit report lists them); otherwise
    /// records are counted into [`Done::summary`] and dropped where they were made.
    pub keep_records: bool,
}

impl<R: Render> Work<'_, R> {
    fn run(&self, mut batch: Batch) -> Result<Done> {
        let mut done = Done {
            bytes: batch.bytes,
            ..Done::default()
        };
        // One clock read per batch: a batch holds what arrived together (see `read`).
        let options = Options {
            now: Some(self.options.now_or_clock()),
            keep_payload: self.render.shows_payload(),
            ..self.options
        };
        for item in std::mem::take(&mut batch.items) {
            let (record, payload) = match item {
                Item::Value {
                    source,
                    index,
                    start,
                    range,
                } => validate::judge_value(
                    start,
                    &batch.text[range],
                    &batch.sources[source],
                    index,
                    self.schemas,
                    options,
                )?,
                Item::Piece {
                    source,
                    index,
                    piece,
                } => validate::judge(piece, &batch.sources[source], index, self.schemas, options)?,
                Item::Empty(source) => (Record::no_payload(&source), None),
                Item::Unreadable { source, reason } => {
                    done.unreadable += 1;
                    (unreadable_input(&source, &reason), None)
                }
            };
            if record.event.is_some() && !catalog::selects(self.events, record.event.as_deref()) {
                done.skipped += 1;
                continue;
            }
            self.render
                .render(&record, payload.as_ref(), &mut done.out)?;
            done.summary.add(&record);
            if self.keep_records {
                done.records.push(record);
            }
        }
        Ok(done)
    }
}

/// Inputs smaller than this in all are judged on one thread: starting workers would cost more
/// than they save.
const PARALLEL_FROM_BYTES: u64 = 4 << 20;

/// How many files are looked at to estimate the size of all: a directory of thousands of small
/// files would otherwise cost a `stat` each before the first is read.
const SIZE_SAMPLES: usize = 32;

/// Judges every payload of `inputs` with `jobs` workers (1: on this thread) and hands each
/// batch to `sink` in input order.
pub fn run<R: Render>(
    inputs: Vec<Input>,
    jobs: usize,
    work: &Work<'_, R>,
    sink: impl FnMut(Done) -> Result<()>,
) -> Result<()> {
    let small = estimated_size(&inputs).is_some_and(|total| total < PARALLEL_FROM_BYTES);
    run_on(inputs, if small { 1 } else { jobs }, work, sink)
}

/// The size of all inputs, from the sizes of up to [`SIZE_SAMPLES`] of them spread over the
/// list; `None` if an input is not a file or a sampled one is not a regular file (a pipe has
/// no size).
fn estimated_size(inputs: &[Input]) -> Option<u64> {
    if !only_files(inputs) {
        return None;
    }
    let step = inputs.len().div_ceil(SIZE_SAMPLES).max(1);
    let sampled: Vec<u64> = inputs
        .iter()
        .step_by(step)
        .map(Input::file_size)
        .collect::<Option<_>>()?;
    let total: u64 = sampled.iter().sum();
    Some(total.saturating_mul(inputs.len() as u64) / (sampled.len().max(1) as u64))
}

/// Whether every input is a named file (no standard input, nothing unreadable).
fn only_files(inputs: &[Input]) -> bool {
    inputs.iter().all(|input| matches!(input, Input::File(_)))
}

/// [`run`] with exactly `jobs` workers.
fn run_on<R: Render>(
    inputs: Vec<Input>,
    jobs: usize,
    work: &Work<'_, R>,
    mut sink: impl FnMut(Done) -> Result<()>,
) -> Result<()> {
    if jobs <= 1 {
        return read(inputs, work.options.max_doc, |batch| sink(work.run(batch)?));
    }
    // Enough batches in flight to keep every worker busy while the sink catches up, and while
    // the reader waits for a core (it shares them with the workers). The work queue holds them
    // all, so the reader, holding a ticket, never blocks on it.
    let tickets = jobs * 8;
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let (work_tx, work_rx) = sync_channel::<(u64, Batch)>(tickets);
        let work_rx = Arc::new(Mutex::new(work_rx));
        let (done_tx, done_rx) = sync_channel::<(u64, Result<Done>)>(tickets);
        let (ticket_tx, ticket_rx) = sync_channel::<()>(tickets);
        for _ in 0..tickets {
            ticket_tx.send(()).expect("the channel holds every ticket");
        }
        // Files never make the reader wait, so it can judge too (see `read_helping`): one
        // worker fewer, and no core shared by three busy threads.
        let helping = only_files(&inputs);
        let workers = if helping { jobs - 1 } else { jobs };
        for _ in 0..workers {
            let done_tx = done_tx.clone();
            let work_rx = Arc::clone(&work_rx);
            let stop = &stop;
            scope.spawn(move || worker(work, &work_rx, done_tx, stop));
        }
        let reader =
            if helping {
                let (done_tx, work_rx) = (done_tx.clone(), Arc::clone(&work_rx));
                ReaderThread::Scoped(scope.spawn(move || {
                    read_helping(inputs, work, &ticket_rx, work_tx, &work_rx, &done_tx)
                }))
            } else {
                // Not scoped: blocked on a silent pipe, it must not keep the run alive once the
                // output has gone (`tail -f capture | jerahook validate | head`).
                let max_doc = work.options.max_doc;
                ReaderThread::Detached(std::thread::spawn(move || {
                    read_with_tickets(inputs, max_doc, &ticket_rx, &work_tx)
                }))
            };
        drop(done_tx);
        // However this closure ends, the workers stop.
        let _stop_workers = StopOnDrop(&stop);
        // Results arrive in any order; they leave in input order. Returning early (the sink
        // failed) drops the receivers and the tickets, which stops the reader at its next batch.
        let mut waiting = BTreeMap::new();
        let mut next = 0;
        for (seq, done) in done_rx {
            waiting.insert(seq, done);
            while let Some(done) = waiting.remove(&next) {
                sink(done?)?;
                next += 1;
                // The reader may have finished; then the ticket is not needed.
                let _ = ticket_tx.send(());
            }
        }
        match reader {
            ReaderThread::Scoped(reader) => reader.join(),
            ReaderThread::Detached(reader) => reader.join(),
        }
        .map_err(|_| anyhow!("the input reader stopped unexpectedly"))?
    })
}

/// The thread that reads the inputs.
enum ReaderThread<'scope> {
    Scoped(std::thread::ScopedJoinHandle<'scope, Result<()>>),
    Detached(std::thread::JoinHandle<Result<()>>),
}

/// [`read_with_tickets`] for inputs that never make the reader wait (files): while no ticket
/// is free, the reader judges a queued batch itself instead of waiting, and at the end it
/// judges what is left beside the workers.
fn read_helping<R: Render>(
    inputs: Vec<Input>,
    work: &Work<'_, R>,
    tickets: &Receiver<()>,
    work_tx: SyncSender<(u64, Batch)>,
    work_rx: &Mutex<Receiver<(u64, Batch)>>,
    done_tx: &SyncSender<(u64, Result<Done>)>,
) -> Result<()> {
    // Judges one queued batch, unless a worker is already waiting for the queue.
    let help = || -> Result<bool> {
        let job = match work_rx.try_lock() {
            Ok(queue) => queue.try_recv().ok(),
            Err(_) => None,
        };
        match job {
            Some((seq, batch)) => {
                done_tx
                    .send((seq, work.run(batch)))
                    .map_err(|_| output_stopped())?;
                Ok(true)
            }
            None => Ok(false),
        }
    };
    let mut seq = 0;
    let read = read(inputs, work.options.max_doc, |batch| {
        loop {
            match tickets.try_recv() {
                Ok(()) => break,
                Err(TryRecvError::Disconnected) => return Err(output_stopped()),
                Err(TryRecvError::Empty) => {
                    if !help()? {
                        tickets.recv().map_err(|_| output_stopped())?;
                        break;
                    }
                }
            }
        }
        work_tx.send((seq, batch)).map_err(|_| output_stopped())?;
        seq += 1;
        Ok(())
    })
    .and_then(|()| {
        while help()? {}
        Ok(())
    });
    unless_output_stopped(read)
}

/// Raises the flag when dropped.
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

fn worker<R: Render>(
    work: &Work<'_, R>,
    work_rx: &Mutex<Receiver<(u64, Batch)>>,
    done_tx: SyncSender<(u64, Result<Done>)>,
    stop: &AtomicBool,
) {
    // Waits in short slices, so that a raised stop flag ends the worker even while the reader
    // (which holds the sending side) waits on a silent input.
    const SLICE: Duration = Duration::from_millis(50);
    loop {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let next = match work_rx.lock() {
            Ok(rx) => rx.recv_timeout(SLICE),
            Err(_) => return,
        };
        let (seq, batch) = match next {
            Ok(job) => job,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => return,
        };
        if done_tx.send((seq, work.run(batch))).is_err() {
            return;
        }
    }
}

fn read_with_tickets(
    inputs: Vec<Input>,
    max_doc: usize,
    tickets: &Receiver<()>,
    work_tx: &SyncSender<(u64, Batch)>,
) -> Result<()> {
    let mut seq = 0;
    unless_output_stopped(read(inputs, max_doc, |batch| {
        // No ticket or no worker: the consumer has stopped, and so does reading.
        tickets.recv().map_err(|_| output_stopped())?;
        work_tx.send((seq, batch)).map_err(|_| output_stopped())?;
        seq += 1;
        Ok(())
    }))
}

/// Why a reader stopped early: whoever takes its batches has gone. Not an error of the run.
#[derive(Debug)]
struct OutputStopped;

impl std::fmt::Display for OutputStopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("output stopped")
    }
}

impl std::error::Error for OutputStopped {}

fn output_stopped() -> anyhow::Error {
    anyhow::Error::new(OutputStopped)
}

/// A reader's result, with stopping because the output has gone counted as success.
fn unless_output_stopped(result: Result<()>) -> Result<()> {
    match result {
        Err(error) if error.is::<OutputStopped>() => Ok(()),
        result => result,
    }
}

/// Splits the inputs into batches and hands them to `send`, in order.
fn read(
    inputs: Vec<Input>,
    max_doc: usize,
    mut send: impl FnMut(Batch) -> Result<()>,
) -> Result<()> {
    let mut batch = Batch::new();
    let mut piece_bytes = 0;
    for input in inputs {
        let source: Arc<str> = input.name().into();
        let (reader, may_block) = match input.open_reader() {
            Ok(opened) => (opened.reader, opened.may_block),
            Err(error) => {
                batch.items.push(Item::Unreadable {
                    source,
                    reason: inputs::io_reason(&error),
                });
                continue;
            }
        };
        let mut splitter = Splitter::new(reader).max_doc(max_doc);
        let mut index = 0;
        let mut consumed = 0;
        loop {
            let mut pause = false;
            match splitter.step() {
                None => {
                    if index == 0 {
                        batch.items.push(Item::Empty(source.clone()));
                    }
                    break;
                }
                Some(Err(error)) => {
                    batch.items.push(Item::Unreadable {
                        source: source.clone(),
                        reason: inputs::io_reason(&error),
                    });
                    break;
                }
                // The next read may wait on a pipe: what has been read moves on first.
                Some(Ok(Step::WouldRead)) => pause = may_block,
                Some(Ok(Step::Piece(piece))) => {
                    piece_bytes += piece.len();
                    for piece in reader::array_elements(piece) {
                        let source = batch.source(&source);
                        let item = match piece {
                            Piece::Value { start, bytes } => {
                                let from = batch.text.len();
                                batch.text.extend_from_slice(&bytes);
                                splitter.recycle(bytes);
                                Item::Value {
                                    source,
                                    index,
                                    start,
                                    range: from..batch.text.len(),
                                }
                            }
                            piece => Item::Piece {
                                source,
                                index,
                                piece,
                            },
                        };
                        batch.items.push(item);
                        index += 1;
                    }
                }
            }
            let full = batch.items.len() >= BATCH_PIECES || piece_bytes >= BATCH_BYTES;
            // Files never make the reader wait: their batches fill up, across files too.
            if full || (pause && !batch.items.is_empty()) {
                batch.bytes += splitter.consumed() - consumed;
                consumed = splitter.consumed();
                send(std::mem::replace(&mut batch, Batch::new()))?;
                piece_bytes = 0;
            }
        }
        batch.bytes += splitter.consumed() - consumed;
    }
    if !batch.items.is_empty() {
        send(batch)?;
    }
    Ok(())
}

/// The record of an input that could not be read: not a payload, but never passed over.
fn unreadable_input(source: &str, reason: &str) -> Record {
    Record {
        source: source.to_string(),
        index: 0,
        line: 0,
        event: None,
        object_id: None,
        valid: false,
        errors: vec![Issue::new(
            Code::Unreadable,
            "",
            format!("cannot read this input: {reason}"),
        )],
        warnings: vec![],
        undocumented: vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    struct Lines;

    impl Render for Lines {
        fn render(&self, record: &Record, _: Option<&Value>, out: &mut Vec<u8>) -> Result<()> {
            writeln!(out, "{}:{} {}", record.source, record.index, record.valid)?;
            Ok(())
        }
    }

    /// Output of a run with exactly `jobs` workers.
    fn output(jobs: usize, inputs: Vec<Input>) -> (String, usize) {
        let schemas = SchemaSet::built_in();
        let work = Work {
            schemas: &schemas,
            options: Options::default(),
            events: &[],
            render: Lines,
            keep_records: true,
        };
        let mut text = Vec::new();
        let mut records = 0;
        run_on(inputs, jobs, &work, |done| {
            text.extend(done.out);
            records += done.records.len();
            Ok(())
        })
        .unwrap();
        (String::from_utf8(text).unwrap(), records)
    }

    #[test]
    fn many_workers_keep_input_order() {
        let dir = tempfile::tempdir().unwrap();
        let payload = crate::catalog::find("clients.create").unwrap().example;
        let line: String = serde_json::from_str::<Value>(payload).unwrap().to_string();
        let mut inputs = Vec::new();
        for file in 0..30 {
            let path = dir.path().join(format!("{file:02}.ndjson"));
            let mut text = String::new();
            for _ in 0..(file * 97 % 1500) {
                text.push_str(&line);
                text.push('\n');
            }
            std::fs::write(&path, text).unwrap();
            inputs.push(Input::File(path));
        }
        let (one, count) = output(1, inputs.clone());
        let (four, _) = output(4, inputs);
        assert_eq!(one, four);
        assert!(count > 10_000, "{count}");
    }

    /// Notes which thread rendered each record.
    struct Threads(Mutex<Vec<std::thread::ThreadId>>);

    impl Render for Threads {
        fn render(&self, _: &Record, _: Option<&Value>, _: &mut Vec<u8>) -> Result<()> {
            self.0.lock().unwrap().push(std::thread::current().id());
            Ok(())
        }
    }

    fn rendering_threads(jobs: usize, inputs: Vec<Input>) -> Vec<std::thread::ThreadId> {
        let schemas = SchemaSet::built_in();
        let work = Work {
            schemas: &schemas,
            options: Options::default(),
            events: &[],
            render: Threads(Mutex::new(Vec::new())),
            keep_records: true,
        };
        run(inputs, jobs, &work, |_| Ok(())).unwrap();
        work.render.0.into_inner().unwrap()
    }

    #[test]
    fn small_inputs_are_judged_on_this_thread_large_ones_by_workers() {
        let here = std::thread::current().id();
        let small = vec![Input::File("samples/clients.create.json".into())];
        assert_eq!(rendering_threads(8, small), [here]);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("large.ndjson");
        let line = format!("{{\"pad\": \"{}\"}}\n", "x".repeat(250));
        std::fs::write(&path, line.repeat(20_000)).unwrap();
        let threads = rendering_threads(2, vec![Input::File(path)]);
        assert!(!threads.contains(&here));
    }

    #[test]
    fn unreadable_and_empty_inputs_keep_their_place() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("empty.json"), "").unwrap();
        let inputs = vec![
            Input::File(dir.path().join("empty.json")),
            Input::Unreadable {
                path: "gone.json".into(),
                error: "No such file or directory".into(),
            },
        ];
        let schemas = SchemaSet::built_in();
        let work = Work {
            schemas: &schemas,
            options: Options::default(),
            events: &[],
            render: Lines,
            keep_records: true,
        };
        let mut unreadable = 0;
        let mut records = Vec::new();
        run_on(inputs, 2, &work, |done| {
            unreadable += done.unreadable;
            records.extend(done.records);
            Ok(())
        })
        .unwrap();
        assert_eq!(unreadable, 1);
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].errors[0].code, Code::NoPayload);
        assert_eq!(records[1].source, "gone.json");
        assert_eq!(records[1].errors[0].code, Code::Unreadable);
        assert_eq!(
            records[1].errors[0].message,
            "cannot read this input: No such file or directory"
        );
    }

    #[test]
    fn a_sink_that_stops_stops_everything() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("many.ndjson");
        let line = "{}\n".repeat(200_000);
        std::fs::write(&path, line).unwrap();
        let schemas = SchemaSet::built_in();
        let work = Work {
            schemas: &schemas,
            options: Options::default(),
            events: &[],
            render: Lines,
            keep_records: true,
        };
        let result = run(vec![Input::File(path)], 2, &work, |_| {
            Err(anyhow!("broken pipe"))
        });
        assert_eq!(result.unwrap_err().to_string(), "broken pipe");
    }
}
