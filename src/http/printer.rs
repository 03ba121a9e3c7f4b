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

/// One output stream with its own thread.
pub(crate) struct Printer {
    queue: Mutex<Option<SyncSender<Vec<u8>>>>,
    offered: AtomicUsize,
    shown: Arc<AtomicUsize>,
    done: Mutex<Receiver<()>>,
}

impl Printer {
    /// Starts a thread writing to `out`, with room for `capacity` waiting lines.
    pub(crate) fn start(mut out: impl Write + Send + 'static, capacity: usize) -> Printer {
        let (queue, lines) = mpsc::sync_channel::<Vec<u8>>(capacity);
        let (finished, done) = mpsc::channel();
        let shown = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&shown);
        std::thread::spawn(move || {
            let mut open = true;
            for line in lines {
                // After a failed write (the reader went away) lines are only counted.
                if open {
                    open = out.write_all(&line).and_then(|()| out.flush()).is_ok();
                    if open {
                        counter.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            let _ = finished.send(());
        });
        Printer {
            queue: Mutex::new(Some(queue)),
            offered: AtomicUsize::new(0),
            shown,
            done: Mutex::new(done),
        }
    }

    /// Queues `line` (one entry, possibly several text lines) without ever waiting.
    pub(crate) fn print(&self, line: Vec<u8>) {
        self.offered.fetch_add(1, Ordering::Relaxed);
        if let Some(queue) = self
            .queue
            .lock()
            .ok()
            .as_ref()
            .and_then(|queue| queue.as_ref())
        {
            let _ = queue.try_send(line);
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
}
