//! `send` against a small handler on loopback: what it lets the user set, and how it shows the
//! handler's answer.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::Value;

/// A handler on a free loopback port, one connection at a time; shown as its address, and
/// stopped when dropped.
struct Handler {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Display for Handler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.addr.fmt(f)
    }
}

impl Drop for Handler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wakes the accept loop, which then sees the flag.
        let _ = std::net::TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A handler that answers every request with `body`.
fn handler(body: &'static str) -> Handler {
    handler_answering(200, Duration::ZERO, body)
}

/// A handler that answers every request with `status` and `body` after `delay`.
fn handler_answering(status: u16, delay: Duration, body: &'static str) -> Handler {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = Arc::clone(&stop);
    let thread = std::thread::spawn(move || {
        for stream in listener.incoming() {
            if stopped.load(Ordering::Relaxed) {
                return;
            }
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap();
                }
            }
            let mut request = vec![0; length];
            let _ = reader.read_exact(&mut request);
            std::thread::sleep(delay);
            let _ = write!(
                stream,
                "HTTP/1.1 {status} Whatever\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    Handler {
        addr,
        stop,
        thread: Some(thread),
    }
}

fn sample() -> String {
    jerahook::catalog::find("clients.create")
        .unwrap()
        .example
        .to_string()
}

#[test]
fn framing_headers_cannot_be_set_by_hand() {
    for header in [
        "Content-Length: 5",
        "transfer-encoding: chunked",
        "Host: x",
        "Connection: close",
    ] {
        let output = Command::cargo_bin("jerahook")
            .unwrap()
            .args([
                "send",
                "-",
                "--to",
                "http://127.0.0.1:9/",
                "--header",
                header,
            ])
            .write_stdin(sample())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{header}: {stderr}");
        assert!(
            stderr.contains("cannot be set by hand"),
            "{header}: {stderr}"
        );
    }
}

#[test]
fn the_answer_is_shown_on_one_line_in_text_and_whole_in_json() {
    let addr = handler("{\n  \"ok\": true,\n  \"note\": \"saved\"\n}\n");
    let url = format!("http://{addr}/vcs");
    let output = Command::cargo_bin("jerahook")
        .unwrap()
        .args(["send", "-", "--to", &url])
        .write_stdin(sample())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains(r#"{"ok":true,"note":"saved"}"#), "{stdout}");
    let output = Command::cargo_bin("jerahook")
        .unwrap()
        .args(["send", "-", "--to", &url, "--format", "json"])
        .write_stdin(sample())
        .output()
        .unwrap();
    let record: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        record["response"],
        "{\n  \"ok\": true,\n  \"note\": \"saved\"\n}\n"
    );
    assert_eq!(record["response_truncated"], false);
}

#[test]
fn a_long_answer_is_cut_at_the_cap_and_says_so() {
    let long: &'static str = Box::leak("x".repeat(100_000).into_boxed_str());
    let addr = handler(long);
    let output = Command::cargo_bin("jerahook")
        .unwrap()
        .args([
            "send",
            "-",
            "--to",
            &format!("http://{addr}/"),
            "--format",
            "json",
        ])
        .write_stdin(sample())
        .output()
        .unwrap();
    let record: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(record["response"].as_str().unwrap().len(), 64 * 1024);
    assert_eq!(record["response_truncated"], true);
}

#[test]
fn quiet_prints_only_what_did_not_get_a_2xx() {
    let addr = handler("ok");
    let input = format!(
        "{}\n{}\n",
        sample(),
        sample().replace("\"name\"", "\"nam\"")
    );
    let output = Command::cargo_bin("jerahook")
        .unwrap()
        .args([
            "send",
            "-",
            "-q",
            "--rate",
            "600/min",
            "--to",
            &format!("http://{addr}/"),
        ])
        .write_stdin(input)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&output.stdout), "");
    assert!(String::from_utf8_lossy(&output.stderr).contains("2 sent"));
}

#[test]
fn a_redirect_is_the_handlers_answer_and_is_not_followed() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut first = String::new();
            let _ = reader.read_line(&mut first);
            log.lock().unwrap().push(first);
            let _ = stream.write_all(
                format!("HTTP/1.1 302 Found\r\nLocation: http://{addr}/elsewhere\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").as_bytes(),
            );
        }
    });
    let output = Command::cargo_bin("jerahook")
        .unwrap()
        .args([
            "send",
            "-",
            "--format",
            "json",
            "--to",
            &format!("http://{addr}/vcs"),
        ])
        .write_stdin(sample())
        .output()
        .unwrap();
    let record: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(record["status"], 302);
    assert_eq!(output.status.code(), Some(1), "a 3xx is not a success");
    let requests = seen.lock().unwrap().clone();
    assert_eq!(requests.len(), 1, "not followed: {requests:?}");
}

/// Waits for `child` to exit, for at most `limit`; kills it and fails when it does not.
fn exit_code_within(mut child: Child, limit: Duration) -> Option<i32> {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `send` of `payloads` copies of the sample to `url`, its output read by a reader that leaves
/// after the first line, as `| head -1` does: the exit code.
fn exit_code_when_the_reader_leaves_after_one_line(url: &str, payloads: usize) -> Option<i32> {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("jerahook"))
        .args(["send", "-", "--to", url])
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = format!("{}\n", sample()).repeat(payloads);
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert!(!first.is_empty());
    drop(stdout);
    let code = exit_code_within(child, Duration::from_secs(60));
    feeder.join().unwrap();
    code
}

#[test]
fn a_closed_reader_keeps_the_exit_code_of_what_was_sent() {
    // Each answer takes a while, so the reader is gone before the second line is written.
    let failing = handler_answering(500, Duration::from_millis(20), "{}");
    assert_eq!(
        exit_code_when_the_reader_leaves_after_one_line(&format!("http://{failing}/"), 50),
        Some(1),
        "a 500 already seen is not a pass"
    );
    let fine = handler_answering(200, Duration::from_millis(20), "{}");
    assert_eq!(
        exit_code_when_the_reader_leaves_after_one_line(&format!("http://{fine}/"), 50),
        Some(0)
    );
    // More lines than a pipe holds: the writer meets the closed pipe, however fast it is.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    assert_eq!(
        exit_code_when_the_reader_leaves_after_one_line(&format!("http://127.0.0.1:{port}/"), 2000),
        Some(2),
        "nothing reached the handler"
    );
}

#[test]
fn an_input_without_a_payload_fails_as_in_validate() {
    let addr = handler("ok");
    let url = format!("http://{addr}/vcs");
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.ndjson");
    std::fs::write(&empty, " \n").unwrap();
    for (args, input) in [(vec!["-"], ""), (vec![empty.to_str().unwrap()], "")] {
        let output = Command::cargo_bin("jerahook")
            .unwrap()
            .arg("send")
            .args(&args)
            .args(["--to", &url, "--format", "json"])
            .write_stdin(input)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let record: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(record["sent"], false);
        assert_eq!(record["errors"][0]["code"], "no-payload");
        assert_eq!(record["errors"][0]["message"], "no payload in this input");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("1 input held no payload"), "{stderr}");
    }
    // One empty input among good ones still fails the run.
    let output = Command::cargo_bin("jerahook")
        .unwrap()
        .args(["send", "-", empty.to_str().unwrap(), "--to", &url])
        .write_stdin(sample())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
}
