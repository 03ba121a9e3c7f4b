//! Output that can never hold up a reply. `listen` hands each line to a printer thread through
//! a bounded queue; when the queue is full (a terminal or pipe that reads slowly or not at all)
//! or the stream is closed, the line is dropped and counted, and the summary says how many were
//! not shown. A reply never waits for, or depends on, the terminal.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Lines waiting to be printed before new ones are dropped.
pub(crate) const QUEUE: usize = 1024;

/// Bytes waiting to be printed before new lines are dropped: a few lines of megabytes each
/// (a payload with long keys and many warnings) must not fill the memory either.
pub(crate) const QUEUE_BYTES: usize = 16 << 20;

/// One output stream with its own thread.
pub(crate) struct Printer {
    queue: Mutex<Option<SyncSender<Vec<u8>>>>,
    offered: AtomicUsize,
    shown: Arc<AtomicUsize>,
    /// Bytes queued and not yet written.
    waiting: Arc<AtomicUsize>,
    done: Mutex<Receiver<()>>,
}

impl Printer {
    /// Starts a thread writing to `out`, with room for `capacity` waiting lines.
    pub(crate) fn start(mut out: impl Write + Send + 'static, capacity: usize) -> Printer {
        let (queue, lines) = mpsc::sync_channel::<Vec<u8>>(capacity);
        let (finished, done) = mpsc::channel();
        let shown = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&shown);
        let waiting = Arc::new(AtomicUsize::new(0));
        let written = Arc::clone(&waiting);
        std::thread::spawn(move || {
            let mut open = true;
            for line in lines {
                let size = line.len();
                // After a failed write (the reader went away) lines are only counted.
                if open {
                    open = out.write_all(&line).and_then(|()| out.flush()).is_ok();
                    if open {
                        counter.fetch_add(1, Ordering::Relaxed);
                    }
                }
                drop(line);
                written.fetch_sub(size, Ordering::Relaxed);
            }
            let _ = finished.send(());
        });
        Printer {
            queue: Mutex::new(Some(queue)),
            offered: AtomicUsize::new(0),
            shown,
            waiting,
            done: Mutex::new(done),
        }
    }

    /// Queues `line` (one entry, possibly several text lines) without ever waiting; drops it
    /// when [`QUEUE`] lines or [`QUEUE_BYTES`] bytes are waiting already.
    pub(crate) fn print(&self, line: Vec<u8>) {
        self.offered.fetch_add(1, Ordering::Relaxed);
        let size = line.len();
        let waiting = self.waiting.fetch_add(size, Ordering::Relaxed);
        if waiting > 0 && waiting + size > QUEUE_BYTES {
            self.waiting.fetch_sub(size, Ordering::Relaxed);
            return;
        }
        let queued = self
            .queue
            .lock()
            .ok()
            .as_ref()
            .and_then(|queue| queue.as_ref())
            .is_some_and(|queue| queue.try_send(line).is_ok());
        if !queued {
            self.waiting.fetch_sub(size, Ordering::Relaxed);
        }
    }

    /// Entries offered so far and entries written so far.
    pub(crate) fn counts(&self) -> (usize, usize) {
        (
            self.offered.load(Ordering::Relaxed),
            self.shown.load(Ordering::Relaxed),
        )
    }

    /// Stops taking lines and waits at most `wait` for the queue to be written out; returns
    /// how many entries were not shown.
    pub(crate) fn finish(&self, wait: Duration) -> usize {
        if let Ok(mut queue) = self.queue.lock() {
            *queue = None;
        }
        if let Ok(done) = self.done.lock() {
            let _ = done.recv_timeout(wait);
        }
        let (offered, shown) = self.counts();
        offered - shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;
    use std::sync::Mutex;
    use std::time::Instant;

    /// A writer shared with the test.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// A reader that went away after `left` writes.
    struct Closing {
        left: usize,
    }

    impl Write for Closing {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.left == 0 {
                return Err(io::ErrorKind::BrokenPipe.into());
            }
            self.left -= 1;
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// A reader that never reads: every write blocks.
    struct Stuck;

    impl Write for Stuck {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            std::thread::sleep(Duration::from_secs(3600));
            Ok(0)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_are_written_in_order() {
        let out = Shared::default();
        let printer = Printer::start(out.clone(), 16);
        for n in 0..10 {
            printer.print(format!("{n}\n").into_bytes());
        }
        assert_eq!(printer.finish(Duration::from_secs(5)), 0);
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        assert_eq!(text, "0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n");
    }

    #[test]
    fn a_closed_output_drops_and_counts() {
        let printer = Printer::start(Closing { left: 2 }, 16);
        for _ in 0..10 {
            printer.print(b"x\n".to_vec());
        }
        assert_eq!(printer.finish(Duration::from_secs(5)), 8);
    }

    #[test]
    fn a_stuck_output_never_blocks_the_caller() {
        let started = Instant::now();
        let printer = Printer::start(Stuck, 4);
        for _ in 0..10_000 {
            printer.print(b"x\n".to_vec());
        }
        assert_eq!(printer.finish(Duration::from_millis(100)), 10_000);
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn a_stuck_output_holds_at_most_the_byte_cap() {
        let printer = Printer::start(Stuck, QUEUE);
        let line = vec![b'x'; 4 << 20];
        for _ in 0..100 {
            printer.print(line.clone());
        }
        let waiting = printer.waiting.load(Ordering::Relaxed);
        assert!(waiting <= QUEUE_BYTES, "{waiting} bytes waiting");
        assert!(
            waiting >= QUEUE_BYTES - line.len(),
            "{waiting} bytes waiting"
        );
    }
}
