//! `listen` and `send` end to end: real processes on loopback, real HTTP.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

fn binary() -> PathBuf {
    assert_cmd::cargo::cargo_bin("jerahook")
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// What happens to a listener's standard output.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stdout {
    /// Read all along, so that it never blocks on a full pipe.
    Read,
    /// A pipe whose reader has gone (`listen | head -2` after head exits).
    Closed,
    /// A pipe nobody reads (`listen | less` with less stopped).
    Stuck,
}

/// A `jerahook listen` child on a free loopback port; killed when dropped.
struct Listener {
    child: Child,
    addr: SocketAddr,
    /// The banner's lines on stderr.
    banner: String,
    stdout: Option<std::thread::JoinHandle<String>>,
    stderr: Option<std::thread::JoinHandle<String>>,
    /// Held, never read, with `Stdout::Stuck`.
    _unread: Option<std::process::ChildStdout>,
}

impl Listener {
    fn start(args: &[&str]) -> Listener {
        Listener::start_with(args, Stdout::Read, &[])
    }

    fn start_with(args: &[&str], stdout: Stdout, env: &[(&str, &str)]) -> Listener {
        let mut command = Command::new(binary());
        command.arg("listen");
        if !args.contains(&"--addr") {
            command.args(["--addr", "127.0.0.1:0"]);
        }
        let mut child = command
            .args(args)
            .envs(env.iter().copied())
            .current_dir(root())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut banner = String::new();
        while !banner.contains("Ctrl-C stops") {
            if stderr.read_line(&mut banner).unwrap() == 0 {
                panic!("no banner: {banner:?}");
            }
        }
        let addr = banner
            .split("listening on http://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_else(|| panic!("no address in {banner:?}"))
            .parse()
            .unwrap();
        // Keep draining stderr so the child never blocks on it.
        let stderr = std::thread::spawn(move || {
            let mut rest = String::new();
            let _ = stderr.read_to_string(&mut rest);
            rest
        });
        let out = child.stdout.take().unwrap();
        let (stdout, unread) = match stdout {
            Stdout::Read => {
                let mut out = out;
                let reader = std::thread::spawn(move || {
                    let mut text = String::new();
                    let _ = out.read_to_string(&mut text);
                    text
                });
                (Some(reader), None)
            }
            Stdout::Closed => {
                drop(out);
                (None, None)
            }
            Stdout::Stuck => (None, Some(out)),
        };
        Listener {
            child,
            addr,
            banner,
            stdout,
            stderr: Some(stderr),
            _unread: unread,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// SIGINT, as Ctrl-C; returns the exit status and stdout.
    fn stop(self) -> (Option<i32>, String) {
        let (status, out, _) = self.stop_all();
        (status, out)
    }

    /// SIGINT; the exit status, stdout and stderr after the banner.
    fn stop_all(mut self) -> (Option<i32>, String, String) {
        interrupt(&self.child);
        let status = self.child.wait().unwrap().code();
        let out = self
            .stdout
            .take()
            .map(|t| t.join().unwrap())
            .unwrap_or_default();
        let err = self
            .stderr
            .take()
            .map(|t| t.join().unwrap())
            .unwrap_or_default();
        (status, out, err)
    }

    /// Waits up to `limit` for the process to end by itself.
    fn wait_for_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let started = std::time::Instant::now();
        while started.elapsed() < limit {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn interrupt(child: &Child) {
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
}

/// `jerahook send ... --format json`: exit code and one record per payload.
fn send(args: &[&str], stdin: Option<&[u8]>) -> (Option<i32>, Vec<Value>) {
    let mut child = Command::new(binary())
        .args(["send", "--format", "json"])
        .args(args)
        .current_dir(root())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Written from another thread: the child's output must be read while it reads its input.
    let writer = stdin.map(|input| {
        let mut pipe = child.stdin.take().unwrap();
        let input = input.to_vec();
        std::thread::spawn(move || {
            let _ = pipe.write_all(&input);
        })
    });
    let output = child.wait_with_output().unwrap();
    if let Some(writer) = writer {
        writer.join().unwrap();
    }
    let records = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    (output.status.code(), records)
}

/// One raw HTTP/1.1 exchange; the status and the body.
fn http(addr: SocketAddr, request: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status in {answer:?}"));
    let body = answer
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_string();
    (status, body)
}

fn post(addr: SocketAddr, target: &str, headers: &str, body: &str) -> (u16, String) {
    http(
        addr,
        &format!(
            "POST {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{headers}\r\n{body}",
            body.len()
        ),
    )
}

fn sample(id: &str) -> Value {
    serde_json::from_str(jerahook::catalog::find(id).unwrap().example).unwrap()
}

/// `count` payloads of all events, each with its own object id, as NDJSON.
fn burst(count: usize, first_id: u64) -> Vec<u8> {
    let mut text = Vec::new();
    for n in 0..count {
        let event = &jerahook::catalog::EVENTS[n % jerahook::catalog::EVENTS.len()];
        let mut payload = sample(event.id);
        let id = first_id + n as u64;
        payload["event"]["object_id"] = json!(id);
        if payload["data"].get("id").is_some() {
            payload["data"]["id"] = json!(id);
        }
        serde_json::to_writer(&mut text, &payload).unwrap();
        text.push(b'\n');
    }
    text
}

fn saved(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).expect("every saved line is one JSON payload"))
        .collect()
}

fn object_ids<'a>(values: impl IntoIterator<Item = &'a Value>, pointer: &str) -> Vec<u64> {
    values
        .into_iter()
        .filter_map(|value| value.pointer(pointer).and_then(Value::as_u64))
        .collect()
}

#[test]
fn replayed_samples_are_saved_once_each_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let save = dir.path().join("capture.ndjson");
    let listener = Listener::start(&["--save", save.to_str().unwrap()]);
    let (code, records) = send(&["samples/", "--to", &listener.url("/hook")], None);
    assert_eq!(code, Some(0));
    assert_eq!(records.len(), 27);
    assert!(
        records
            .iter()
            .all(|r| r["status"] == 200 && r["sent"] == true)
    );
    let (status, out) = listener.stop();
    assert_eq!(status, Some(0));
    assert_eq!(out.lines().count(), 27, "{out}");
    let mut expected: Vec<PathBuf> = std::fs::read_dir(root().join("samples"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    expected.sort();
    let expected: Vec<Value> = expected
        .iter()
        .map(|path| serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap())
        .collect();
    assert_eq!(saved(&save), expected);
    // The capture reads back with validate.
    Command::new(binary())
        .args(["validate", "--quiet"])
        .arg(&save)
        .stderr(Stdio::null())
        .status()
        .unwrap()
        .success()
        .then_some(())
        .expect("the capture validates");
}

#[test]
fn concurrent_bursts_and_ctrl_c_lose_no_acknowledged_payload() {
    let dir = tempfile::tempdir().unwrap();
    let save = dir.path().join("capture.ndjson");
    let listener = Listener::start(&["--save", save.to_str().unwrap(), "--format", "json"]);
    let url = listener.url("/");
    let (code, records) = send(
        &["-", "--to", &url, "--concurrency", "32"],
        Some(&burst(2000, 1)),
    );
    assert_eq!(code, Some(0));
    let acknowledged: BTreeSet<u64> = object_ids(
        records.iter().filter(|r| {
            r["status"]
                .as_u64()
                .is_some_and(|s| (200..300).contains(&s))
        }),
        "/object_id",
    )
    .into_iter()
    .collect();
    assert_eq!(acknowledged.len(), 2000);
    let first = saved(&save);
    let ids = object_ids(&first, "/event/object_id");
    assert_eq!(ids.len(), 2000, "each payload saved exactly once");
    assert_eq!(ids.iter().copied().collect::<BTreeSet<_>>(), acknowledged);

    // A second burst, interrupted by Ctrl-C while it runs.
    let second = burst(2000, 10_001);
    let sender = {
        let url = url.clone();
        std::thread::spawn(move || send(&["-", "--to", &url, "--concurrency", "32"], Some(&second)))
    };
    std::thread::sleep(Duration::from_millis(300));
    let (status, _) = listener.stop();
    assert_eq!(status, Some(0), "Ctrl-C is a clean stop");
    let (_, records) = sender.join().unwrap();
    let acknowledged: Vec<u64> = object_ids(
        records.iter().filter(|r| {
            r["status"]
                .as_u64()
                .is_some_and(|s| (200..300).contains(&s))
        }),
        "/object_id",
    );
    let all = saved(&save);
    let saved_ids: Vec<u64> = object_ids(&all, "/event/object_id");
    let unique: BTreeSet<u64> = saved_ids.iter().copied().collect();
    assert_eq!(unique.len(), saved_ids.len(), "no payload saved twice");
    for id in acknowledged {
        assert!(
            unique.contains(&id),
            "payload {id} got 2xx but is not in the save file"
        );
    }
}

#[test]
fn bad_requests_get_the_right_status_and_the_server_keeps_serving() {
    let listener = Listener::start(&["--max-body", "1KiB", "--body-timeout", "500ms"]);
    let addr = listener.addr;
    let payload = sample("clients.create").to_string();
    let (status, _) = post(addr, "/", "", &"x".repeat(2048));
    assert_eq!(status, 413);
    let (status, body) = post(addr, "/", "", &payload);
    assert_eq!(status, 200, "still serving after 413");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        sample("clients.create"),
        "echo"
    );
    let (status, body) = post(addr, "/", "", "{\"event\": ");
    assert_eq!(status, 400);
    assert!(body.contains("invalid JSON"), "{body}");
    let (status, _) = http(
        addr,
        "PUT / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}",
    );
    assert_eq!(status, 405);
    let (status, body) = http(
        addr,
        "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 200);
    assert!(body.contains("\"uptime_seconds\""), "{body}");

    // A client that sends its headers and stalls is timed out; others are served meanwhile.
    let mut stalled = TcpStream::connect(addr).unwrap();
    stalled
        .write_all(b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n{\"event\"")
        .unwrap();
    let (status, _) = post(addr, "/", "", &payload);
    assert_eq!(status, 200, "served while another client stalls");
    stalled
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut answer = String::new();
    let _ = stalled.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    let (status, _) = post(addr, "/", "", &payload);
    assert_eq!(status, 200);
}

#[test]
fn a_token_is_required_when_set() {
    let listener = Listener::start(&["--token", "s3cret"]);
    let addr = listener.addr;
    let payload = sample("clients.update").to_string();
    assert_eq!(post(addr, "/hook", "", &payload).0, 401);
    assert_eq!(post(addr, "/hook?token=wrong", "", &payload).0, 401);
    assert_eq!(
        post(addr, "/hook", "Authorization: Bearer nope\r\n", &payload).0,
        401
    );
    assert_eq!(post(addr, "/hook?token=s3cret", "", &payload).0, 200);
    assert_eq!(
        post(addr, "/hook", "Authorization: Bearer s3cret\r\n", &payload).0,
        200
    );
    let (status, out) = listener.stop();
    assert_eq!(status, Some(0));
    assert_eq!(
        out.lines()
            .filter(|line| line.contains("clients.update"))
            .count(),
        2,
        "{out}"
    );
}

#[test]
fn reject_invalid_and_reply_status() {
    let listener = Listener::start(&["--reject-invalid"]);
    let mut invalid = sample("clients.create");
    invalid["data"]["companies_id"] = json!("3");
    let (status, body) = post(listener.addr, "/", "", &invalid.to_string());
    assert_eq!(status, 422);
    assert!(body.contains("/data/companies_id"), "{body}");
    let failing = Listener::start(&["--reply-status", "503"]);
    assert_eq!(
        post(failing.addr, "/", "", &sample("clients.create").to_string()).0,
        503
    );
}

#[test]
fn forwarding_passes_the_handlers_answer_back() {
    let ok = Listener::start(&[]);
    let failing = Listener::start(&["--reply-status", "500"]);
    // A handler that accepts and never answers, and one that is not there at all.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_addr = silent.local_addr().unwrap();
    let _silent_thread = std::thread::spawn(move || {
        let held: Vec<TcpStream> = silent.incoming().take(1).filter_map(Result::ok).collect();
        std::thread::sleep(Duration::from_secs(5));
        drop(held);
    });
    let gone = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let payload = sample("accounting.payments.create").to_string();
    for (target, expected) in [
        (ok.url("/real"), 200),
        (failing.url("/real"), 500),
        (format!("http://{silent_addr}/real"), 504),
        (format!("http://{gone}/real"), 502),
    ] {
        let proxy = Listener::start(&["--forward-to", &target, "--forward-timeout", "500ms"]);
        let (status, _) = post(proxy.addr, "/", "", &payload);
        assert_eq!(status, expected, "forwarding to {target}");
        let (_, out) = proxy.stop();
        let line = out.lines().next().unwrap_or_default().to_string();
        match expected {
            504 => assert!(line.contains("handler timeout"), "{line}"),
            502 => assert!(line.contains("handler unreachable"), "{line}"),
            code => assert!(line.contains(&format!("handler {code}")), "{line}"),
        }
    }
}

#[test]
fn send_exit_codes_tell_the_outcome() {
    let failing = Listener::start(&["--reply-status", "500"]);
    let (code, records) = send(
        &["samples/clients.create.json", "--to", &failing.url("/")],
        None,
    );
    assert_eq!(code, Some(1));
    assert_eq!(records[0]["status"], 500);
    let gone = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let (code, records) = send(
        &[
            "samples/clients.create.json",
            "--to",
            &format!("http://{gone}/"),
        ],
        None,
    );
    assert_eq!(code, Some(2), "an unreachable URL");
    assert_eq!(records[0]["error"], "unreachable");
    let (code, _) = send(&["samples/clients.create.json", "--to", "not a url"], None);
    assert_eq!(code, Some(2));
}

#[test]
fn send_filters_and_skips_invalid() {
    let listener = Listener::start(&[]);
    let mut input = burst(27, 1);
    input.extend_from_slice(b"{\"event\": {\"dt\": \"x\", \"events_id\": \"clients.create\", \"object_id\": 1}, \"data\": {}}\n");
    let (code, records) = send(
        &[
            "-",
            "--to",
            &listener.url("/"),
            "--events",
            "clients.create",
            "--skip-invalid",
        ],
        Some(&input),
    );
    assert_eq!(code, Some(0));
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["sent"], true);
    assert_eq!(records[1]["sent"], false, "invalid, not sent");
}

/// Reads one request (head and a Content-Length body) from `stream`.
fn read_request(stream: &mut TcpStream) -> String {
    let mut data = Vec::new();
    let mut byte = [0u8; 1];
    while !data.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).unwrap_or(0) == 0 {
            break;
        }
        data.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&data).to_string();
    let length = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    let _ = stream.read_exact(&mut body);
    head + &String::from_utf8_lossy(&body)
}

/// A stand-in for the real handler on a free port: reads each request, counts it, and lets
/// `answer` write the reply.
fn fake_handler(
    answer: impl Fn(&mut TcpStream) + Send + Sync + Clone + 'static,
) -> (SocketAddr, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let answer = answer.clone();
            let log = log.clone();
            std::thread::spawn(move || {
                let request = read_request(&mut stream);
                log.lock().unwrap().push(request);
                answer(&mut stream);
            });
        }
    });
    (addr, seen)
}

/// The status, headers and body of one answer read from a kept-alive stream.
fn read_answer(stream: &mut TcpStream) -> (u16, String, String) {
    let raw = read_request(stream);
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status in {raw:?}"));
    (status, head.to_string(), body.to_string())
}

/// Whether the server has closed `stream` (read gives end of file or a reset).
fn closed(stream: &mut TcpStream, within: Duration) -> bool {
    stream.set_read_timeout(Some(within)).unwrap();
    let mut buf = [0u8; 64];
    match stream.read(&mut buf) {
        Ok(0) => true,
        Ok(_) => false,
        Err(error) => !matches!(
            error.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
    }
}

#[test]
fn saved_lines_hold_the_bytes_that_were_sent() {
    let dir = tempfile::tempdir().unwrap();
    let save = dir.path().join("capture.ndjson");
    let listener = Listener::start(&["--save", save.to_str().unwrap()]);
    let bodies = [
        // Numbers as written, beyond f64 and u64; duplicate keys; escapes; key order.
        r#"{"event": {"events_id": "clients.create", "object_id": 123456789012345678901234567890}, "data": {"z": 1E2, "a": 18446744073709551616, "k": 1, "k": 2, "s": "tab\t \u00e9 \" \\ é", "f": -0.0, "x": 1.50}}"#,
        // Several lines, CRLF, tabs, whitespace inside strings kept.
        "{\r\n\t\"event\" : {\r\n\t\t\"events_id\" : \"clients.update\",\r\n\t\t\"object_id\" : -1.0E-7\r\n\t},\r\n\t\"data\" : { \"name\" : \"two  spaces \\n\" , \"n\" : [ 1 , 2 ] }\r\n}\r\n",
    ];
    for body in bodies {
        assert_eq!(post(listener.addr, "/", "", body).0, 200);
    }
    let (status, _) = listener.stop();
    assert_eq!(status, Some(0));
    assert_eq!(
        std::fs::read_to_string(&save).unwrap(),
        concat!(
            r#"{"event":{"events_id":"clients.create","object_id":123456789012345678901234567890},"data":{"z":1E2,"a":18446744073709551616,"k":1,"k":2,"s":"tab\t \u00e9 \" \\ é","f":-0.0,"x":1.50}}"#,
            "\n",
            r#"{"event":{"events_id":"clients.update","object_id":-1.0E-7},"data":{"name":"two  spaces \n","n":[1,2]}}"#,
            "\n"
        )
    );
}

#[test]
fn a_save_that_fails_answers_500_and_the_listener_keeps_serving() {
    // /dev/full: every write fails as on a full disk.
    let listener = Listener::start(&["--save", "/dev/full"]);
    let payload = sample("clients.create").to_string();
    let (status, body) = post(listener.addr, "/", "", &payload);
    assert_eq!(status, 500);
    assert!(body.contains("could not be saved"), "{body}");
    let (status, _) = http(
        listener.addr,
        "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 200);
    let (_, out, err) = listener.stop_all();
    assert!(out.contains("→ 500"), "{out}");
    assert!(err.contains("1 not saved"), "{err}");
}

#[test]
fn a_closed_output_loses_lines_only() {
    let listener = Listener::start_with(&[], Stdout::Closed, &[]);
    let payload = sample("clients.create").to_string();
    for _ in 0..50 {
        assert_eq!(post(listener.addr, "/", "", &payload).0, 200);
    }
    let (status, _) = http(
        listener.addr,
        "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 200);
    let (code, _, err) = listener.stop_all();
    assert_eq!(code, Some(0));
    assert!(err.contains("50 of 50 output entries not shown"), "{err}");
}

#[test]
fn an_output_nobody_reads_holds_up_no_reply() {
    let listener = Listener::start_with(&[], Stdout::Stuck, &[]);
    let url = listener.url("/");
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(send(
            &["-", "--to", &url, "--concurrency", "8", "--timeout", "5s"],
            Some(&burst(3000, 1)),
        ));
    });
    let (code, records) = finished
        .recv_timeout(Duration::from_secs(60))
        .expect("3000 payloads answered within a minute, though nobody reads the output");
    assert_eq!(code, Some(0), "every payload answered 2xx");
    assert_eq!(records.len(), 3000);
    let (status, _) = http(
        listener.addr,
        "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 200);
    let (code, _, err) = listener.stop_all();
    assert_eq!(code, Some(0));
    let not_shown: usize = err
        .lines()
        .find_map(|line| {
            line.trim().strip_suffix(
                " of 3000 output entries not shown: standard output was closed or too slow",
            )
        })
        .and_then(|count| count.parse().ok())
        .unwrap_or_else(|| panic!("{err}"));
    assert!(not_shown > 0 && not_shown < 3000, "{err}");
}

#[test]
fn silent_connections_are_closed_and_the_cap_gives_way_to_real_posts() {
    let listener = Listener::start(&[
        "--max-connections",
        "3",
        "--header-timeout",
        "1s",
        "--idle-timeout",
        "2500ms",
    ]);
    let addr = listener.addr;
    let payload = sample("clients.create").to_string();
    let started = std::time::Instant::now();
    let mut silent = TcpStream::connect(addr).unwrap();
    let mut half = TcpStream::connect(addr).unwrap();
    half.write_all(b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Le")
        .unwrap();
    let mut kept = TcpStream::connect(addr).unwrap();
    kept.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    assert_eq!(read_answer(&mut kept).0, 200);
    std::thread::sleep(Duration::from_millis(200));

    // Three open: a fourth is closed without an answer.
    let mut fourth = TcpStream::connect(addr).unwrap();
    let _ = fourth.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    assert!(closed(&mut fourth, Duration::from_secs(5)), "over the cap");

    // The header timeout closes the silent and the half-sent one; the kept-alive one waits
    // for its idle timeout.
    assert!(closed(&mut silent, Duration::from_secs(5)));
    assert!(closed(&mut half, Duration::from_secs(5)));
    let headers_closed = started.elapsed();
    assert!(
        headers_closed >= Duration::from_millis(900) && headers_closed < Duration::from_secs(3),
        "{headers_closed:?}"
    );
    assert!(
        !closed(&mut kept, Duration::from_millis(300)),
        "idle, not yet timed out"
    );
    assert!(closed(&mut kept, Duration::from_secs(5)));
    let idle_closed = started.elapsed();
    assert!(
        idle_closed >= Duration::from_millis(2400) && idle_closed < Duration::from_secs(5),
        "{idle_closed:?}"
    );

    assert_eq!(post(addr, "/", "", &payload).0, 200, "room again");
    let (_, _, err) = listener.stop_all();
    assert!(
        err.contains("connections: 3 closed silent, 1 refused over --max-connections"),
        "{err}"
    );
}

#[test]
fn a_stop_waits_at_most_the_grace_period() {
    let (hang, _) = fake_handler(|_stream: &mut TcpStream| {
        std::thread::sleep(Duration::from_secs(60));
    });
    let dir = tempfile::tempdir().unwrap();
    let save = dir.path().join("capture.ndjson");
    let target = format!("http://{hang}/");
    let mut listener = Listener::start(&[
        "--forward-to",
        &target,
        "--forward-timeout",
        "60s",
        "--shutdown-grace",
        "1s",
        "--events",
        "clients.update",
        "--save",
        save.to_str().unwrap(),
    ]);
    let addr = listener.addr;
    // Acknowledged (not forwarded: not selected) before the stop.
    assert_eq!(
        post(addr, "/", "", &sample("clients.create").to_string()).0,
        200
    );
    let stuck = std::thread::spawn(move || {
        let mut stream = TcpStream::connect(addr).unwrap();
        let body = sample("clients.update").to_string();
        let _ = write!(
            stream,
            "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
    });
    std::thread::sleep(Duration::from_millis(300));
    let started = std::time::Instant::now();
    interrupt(&listener.child);
    let status = listener
        .wait_for_exit(Duration::from_secs(10))
        .expect("stopped");
    let took = started.elapsed();
    assert!(status.success());
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(4),
        "{took:?}"
    );
    assert_eq!(saved(&save).len(), 1);
    stuck.join().unwrap();
}

#[test]
fn a_second_ctrl_c_stops_at_once() {
    let (hang, _) = fake_handler(|_stream: &mut TcpStream| {
        std::thread::sleep(Duration::from_secs(60));
    });
    let target = format!("http://{hang}/");
    let mut listener = Listener::start(&[
        "--forward-to",
        &target,
        "--forward-timeout",
        "60s",
        "--shutdown-grace",
        "60s",
    ]);
    let addr = listener.addr;
    let _stuck = std::thread::spawn(move || {
        let _ = post(addr, "/", "", &sample("clients.update").to_string());
    });
    std::thread::sleep(Duration::from_millis(300));
    interrupt(&listener.child);
    assert!(
        listener.wait_for_exit(Duration::from_millis(800)).is_none(),
        "the first Ctrl-C waits for the request in flight"
    );
    let started = std::time::Instant::now();
    interrupt(&listener.child);
    let status = listener
        .wait_for_exit(Duration::from_secs(5))
        .expect("stopped");
    assert!(status.success());
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn new_numeric_flags_refuse_out_of_range_values() {
    let flags = [
        ("--header-timeout", "from 100ms to 3600s"),
        ("--idle-timeout", "from 100ms to 3600s"),
        ("--shutdown-grace", "0s or a duration from 1ms to 3600s"),
        ("--max-connections", "from 1 to 100000"),
        ("--max-in-flight", "from 1KiB to 64GiB"),
        ("--max-handler-answer", "from 1KiB to 1GiB"),
    ];
    for (flag, range) in flags {
        for value in [
            "0",
            "-1",
            "1e300",
            "1e-300",
            "NaN",
            "99999999999999999999999",
        ] {
            if flag == "--shutdown-grace" && value == "0" {
                continue;
            }
            let (code, err) = refused_flags(&["--addr", "127.0.0.1:0", &format!("{flag}={value}")]);
            assert_eq!(code, Some(2), "{flag} {value}: {err}");
            assert!(
                err.contains(&format!("{flag} {value}")) && err.contains(range),
                "{flag} {value}: {err}"
            );
        }
    }
    let (code, err) = refused_flags(&["--max-body", "1MiB", "--max-in-flight", "512KiB"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("at least --max-body"), "{err}");
    for status in ["100", "199", "600"] {
        let (code, err) = refused_flags(&["--reply-status", status]);
        assert_eq!(code, Some(2), "{status}: {err}");
        assert!(
            err.contains("--reply-status") && err.contains("from 200 to 599"),
            "{err}"
        );
    }
}

/// `listen` with flags it must refuse: the exit code and stderr. A listener that starts
/// instead is stopped and reported.
fn refused_flags(args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(binary())
        .arg("listen")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            let _ = child.wait();
            return (None, format!("{args:?} started a listener"));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let output = child.wait_with_output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_handler_answer_over_the_cap_is_a_502() {
    // A handler whose answer never ends.
    let (endless, _) = fake_handler(|stream: &mut TcpStream| {
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        let chunk = format!("{:x}\r\n{}\r\n", 8192, "x".repeat(8192));
        while stream.write_all(chunk.as_bytes()).is_ok() {}
    });
    let target = format!("http://{endless}/");
    let listener = Listener::start(&[
        "--forward-to",
        &target,
        "--max-handler-answer",
        "64KiB",
        "--forward-timeout",
        "20s",
    ]);
    let started = std::time::Instant::now();
    let (status, body) = post(
        listener.addr,
        "/",
        "",
        &sample("clients.create").to_string(),
    );
    assert_eq!(status, 502);
    assert!(body.contains("--max-handler-answer"), "{body}");
    assert!(started.elapsed() < Duration::from_secs(10));
    let (_, out) = listener.stop();
    assert!(out.contains("handler answer too large"), "{out}");
}

#[test]
fn bodies_in_flight_beyond_the_budget_get_503_with_retry_after() {
    let listener = Listener::start(&["--max-body", "100KiB", "--max-in-flight", "100KiB"]);
    let addr = listener.addr;
    // A body of 100 KiB on its way holds the whole budget.
    let big = format!(
        "{{\"event\": {{\"events_id\": \"clients.create\"}}, \"pad\": \"{}\"}}",
        "x".repeat(100 * 1024 - 60)
    );
    let mut slow = TcpStream::connect(addr).unwrap();
    write!(
        slow,
        "POST / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
        big.len()
    )
    .unwrap();
    slow.write_all(&big.as_bytes()[..1000]).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let payload = sample("clients.create").to_string();
    let answer = {
        let mut stream = TcpStream::connect(addr).unwrap();
        write!(
            stream,
            "POST / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{payload}",
            payload.len()
        )
        .unwrap();
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        answer
    };
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("retry-after: 1"),
        "{answer}"
    );
    slow.write_all(&big.as_bytes()[1000..]).unwrap();
    let mut answer = String::new();
    let _ = slow.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(post(addr, "/", "", &payload).0, 200, "the budget is back");
}

#[test]
fn forwarding_to_itself_is_a_loop_stopped_after_one_hop() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let target = format!("http://{addr}/");
    let listener = Listener::start(&["--addr", &addr, "--forward-to", &target, "--format", "json"]);
    let started = std::time::Instant::now();
    let (status, body) = post(
        listener.addr,
        "/",
        "",
        &sample("clients.create").to_string(),
    );
    assert_eq!(status, 508, "{body}");
    assert!(started.elapsed() < Duration::from_secs(5));
    let (_, out) = listener.stop();
    let lines: Vec<Value> = out
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{out}");
    let refused: Vec<&Value> = lines
        .iter()
        .filter(|line| line["refused"] == "loop")
        .collect();
    assert_eq!(refused.len(), 1, "one hop, then refused: {out}");
    assert_eq!(refused[0]["reply_status"], 508);
}

#[test]
fn redirects_from_the_handler_go_back_as_they_are() {
    let (redirecting, seen) = fake_handler(|stream: &mut TcpStream| {
        let _ = stream.write_all(
            b"HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
    });
    let target = format!("http://{redirecting}/vcs");
    let dir = tempfile::tempdir().unwrap();
    let save = dir.path().join("capture.ndjson");
    let listener = Listener::start(&["--forward-to", &target, "--save", save.to_str().unwrap()]);
    let mut stream = TcpStream::connect(listener.addr).unwrap();
    let payload = sample("clients.create").to_string();
    write!(
        stream,
        "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\n\r\n{payload}",
        payload.len()
    )
    .unwrap();
    let (status, head, _) = read_answer(&mut stream);
    assert_eq!(status, 302);
    assert!(
        head.to_ascii_lowercase().contains("location: /elsewhere"),
        "{head}"
    );
    let requests = seen.lock().unwrap().clone();
    assert_eq!(requests.len(), 1, "not followed: {requests:?}");
    assert!(requests[0].starts_with("POST /vcs"));
    assert!(saved(&save).is_empty(), "a 302 is not an acknowledgement");
}

#[test]
fn an_oversized_body_sent_whole_still_gets_its_413() {
    let listener = Listener::start(&["--max-body", "1000"]);
    for size in [1_000_000, 10_000_000] {
        let body = vec![b'x'; size];
        for _ in 0..10 {
            // As Python's urllib does: the whole body, then the answer.
            let mut stream = TcpStream::connect(listener.addr).unwrap();
            write!(
                stream,
                "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {size}\r\nConnection: close\r\n\r\n"
            )
            .unwrap();
            stream.write_all(&body).expect("the whole body is read");
            let mut answer = String::new();
            stream.read_to_string(&mut answer).unwrap();
            assert!(answer.starts_with("HTTP/1.1 413"), "{size}: {answer}");
        }
    }
}

#[test]
fn a_client_waiting_for_100_continue_gets_the_413_without_sending_its_body() {
    let listener = Listener::start(&["--max-body", "1000"]);
    let mut stream = TcpStream::connect(listener.addr).unwrap();
    stream
        .write_all(b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5000000\r\nExpect: 100-continue\r\n\r\n")
        .unwrap();
    let (status, head, _) = read_answer(&mut stream);
    assert_eq!(status, 413, "{head}");
    assert!(closed(&mut stream, Duration::from_secs(5)));
}

#[test]
fn refused_requests_are_printed_one_line_each_and_counted() {
    for format in ["text", "json"] {
        let listener = Listener::start(&[
            "--token",
            "s3cret",
            "--path",
            "/hook",
            "--max-body",
            "1KiB",
            "--max-in-flight",
            "1KiB",
            "--body-timeout",
            "700ms",
            "--format",
            format,
        ]);
        let addr = listener.addr;
        assert_eq!(post(addr, "/hook", "", "{}").0, 401);
        assert_eq!(post(addr, "/other?token=s3cret", "", "{}").0, 404);
        let (status, _) = http(
            addr,
            "PUT /hook?token=s3cret HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}",
        );
        assert_eq!(status, 405);
        assert_eq!(post(addr, "/hook?token=s3cret", "", "{\"a\": ").0, 400);
        assert_eq!(
            post(addr, "/hook?token=s3cret", "", &"x".repeat(2000)).0,
            413
        );
        // A body that stalls holds the budget (503 for another) until its 408.
        let mut stalled = TcpStream::connect(addr).unwrap();
        stalled
            .write_all(b"POST /hook?token=s3cret HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1024\r\n\r\n{\"event\"")
            .unwrap();
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(post(addr, "/hook?token=s3cret", "", "{}").0, 503);
        let mut answer = String::new();
        stalled
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let _ = stalled.read_to_string(&mut answer);
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        let (_, out, err) = listener.stop_all();
        assert!(!out.contains("s3cret"), "the token is never printed: {out}");
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 7, "{out}");
        let expected = [
            (
                "POST",
                "/hook",
                401,
                "unauthorized",
                "missing or wrong token",
            ),
            (
                "POST",
                "/other?token=***",
                404,
                "not-found",
                "payloads go to /hook",
            ),
            ("PUT", "/hook?token=***", 405, "method", "use POST"),
            ("POST", "/hook?token=***", 400, "not-json", "invalid JSON"),
            ("POST", "/hook?token=***", 413, "too-large", "--max-body"),
            ("POST", "/hook?token=***", 503, "busy", "--max-in-flight"),
            ("POST", "/hook?token=***", 408, "timeout", "--body-timeout"),
        ];
        for (line, (method, path, status, reason, message)) in lines.iter().zip(expected) {
            if format == "json" {
                let record: Value = serde_json::from_str(line).unwrap();
                assert_eq!(record["method"], method, "{line}");
                assert_eq!(record["path"], path, "{line}");
                assert_eq!(record["reply_status"], status, "{line}");
                assert_eq!(record["refused"], reason, "{line}");
                assert!(
                    record["reason"].as_str().unwrap().contains(message),
                    "{line}"
                );
                assert!(
                    record["remote_addr"]
                        .as_str()
                        .unwrap()
                        .starts_with("127.0.0.1:")
                );
                assert!(record["received_at"].is_string());
            } else {
                assert!(line.contains(" refused 127.0.0.1:"), "{line}");
                assert!(
                    line.contains(&format!(" {method} {path}  → {status}  ")),
                    "{line}"
                );
                assert!(line.contains(message), "{line}");
            }
        }
        assert!(
            err.contains("0 payloads received, 0 invalid, 0 rejected, 7 requests refused"),
            "{err}"
        );
        assert!(
            err.contains("refused: 1 not JSON (400), 1 unauthorized (401), 1 wrong path (404), 1 wrong method (405), 1 body timeout (408), 1 too large (413), 1 busy (503)"),
            "{err}"
        );
    }
}

#[test]
fn the_banner_gives_the_url_to_paste_and_says_who_can_reach_it() {
    let listener = Listener::start(&["--token", "s3 cret", "--path", "/vcs"]);
    let port = listener.addr.port();
    assert!(
        listener.banner.contains(&format!(
            "set the handler's task (URL) to http://127.0.0.1:{port}/vcs?token=s3+cret\n"
        )),
        "{}",
        listener.banner
    );
    assert!(
        listener.banner.contains(&format!(
            "only this machine can reach 127.0.0.1; to take payloads from the billing server, listen on all interfaces: --addr 0.0.0.0:{port}"
        )),
        "{}",
        listener.banner
    );
    assert!(
        !listener
            .banner
            .contains("reachable from the billing server")
    );
    // The URL works as printed.
    assert_eq!(
        post(
            listener.addr,
            "/vcs?token=s3+cret",
            "",
            &sample("clients.create").to_string()
        )
        .0,
        200
    );
}

#[test]
fn times_on_lines_are_local_with_the_offset_in_json() {
    let zone = [("TZ", "XYZ-5:30")];
    let json = Listener::start_with(&["--format", "json"], Stdout::Read, &zone);
    assert_eq!(
        post(json.addr, "/", "", &sample("clients.create").to_string()).0,
        200
    );
    let (_, out) = json.stop();
    let record: Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    let received = record["received_at"].as_str().unwrap();
    assert!(received.ends_with("+05:30"), "{received}");

    let text = Listener::start_with(&[], Stdout::Read, &zone);
    assert_eq!(
        post(text.addr, "/", "", &sample("clients.create").to_string()).0,
        200
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let (_, out) = text.stop();
    let clock = &out[..5];
    let local_minutes = (now / 60 + 5 * 60 + 30) % (24 * 60);
    let shown: u64 = clock[..2].parse::<u64>().unwrap() * 60 + clock[3..].parse::<u64>().unwrap();
    let apart = (shown + 24 * 60 - local_minutes) % (24 * 60);
    assert!(
        apart <= 1 || apart == 24 * 60 - 1,
        "{clock} vs {local_minutes} min: {out}"
    );
}

#[test]
fn a_lower_case_bearer_is_accepted() {
    let listener = Listener::start(&["--token", "s3cret"]);
    let payload = sample("clients.update").to_string();
    for scheme in ["bearer", "BEARER", "BeArEr"] {
        assert_eq!(
            post(
                listener.addr,
                "/",
                &format!("Authorization: {scheme} s3cret\r\n"),
                &payload
            )
            .0,
            200,
            "{scheme}"
        );
    }
}

#[test]
fn index_is_the_payloads_number_in_this_run() {
    let listener = Listener::start(&["--format", "json"]);
    let (code, _) = send(
        &["-", "--to", &listener.url("/"), "--concurrency", "16"],
        Some(&burst(600, 1)),
    );
    assert_eq!(code, Some(0));
    let (_, out) = listener.stop();
    let indexes: BTreeSet<u64> = out
        .lines()
        .map(|line| {
            serde_json::from_str::<Value>(line).unwrap()["index"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(indexes, (0..600).collect::<BTreeSet<u64>>());
}

/// Resident memory of a process in MB, now or at its peak (`VmHWM`).
#[cfg(target_os = "linux")]
fn memory_mb(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kb| kb.parse::<u64>().ok())
        .unwrap()
        / 1024
}

#[cfg(target_os = "linux")]
#[test]
fn a_burst_of_large_bodies_is_bounded_and_memory_comes_back() {
    let listener = Listener::start(&[]);
    let addr = listener.addr;
    let pid = listener.child.id();
    assert_eq!(
        post(addr, "/", "", &sample("clients.create").to_string()).0,
        200
    );
    let resting = memory_mb(pid, "VmRSS:");
    let body = std::sync::Arc::new(format!(
        "{{\"event\": {{\"events_id\": \"clients.create\", \"object_id\": 1}}, \"data\": {{\"pad\": \"{}\"}}}}",
        "x".repeat(15_000_000)
    ));
    let senders: Vec<_> = (0..30)
        .map(|_| {
            let body = body.clone();
            std::thread::spawn(move || post(addr, "/", "", &body).0)
        })
        .collect();
    let statuses: Vec<u16> = senders.into_iter().map(|s| s.join().unwrap()).collect();
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 503),
        "{statuses:?}"
    );
    assert!(
        statuses.contains(&503),
        "64 MiB in flight at most: {statuses:?}"
    );
    let peak = memory_mb(pid, "VmHWM:");
    std::thread::sleep(Duration::from_millis(500));
    let after = memory_mb(pid, "VmRSS:");
    assert!(peak < 400, "peak {peak} MB");
    assert!(
        after < resting + 60,
        "resting {resting} MB, after {after} MB"
    );
}

#[test]
fn silent_and_half_sent_clients_do_not_hold_up_the_stop() {
    let mut listener = Listener::start(&[]);
    let _silent = TcpStream::connect(listener.addr).unwrap();
    let mut half = TcpStream::connect(listener.addr).unwrap();
    half.write_all(b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Le")
        .unwrap();
    let mut kept = TcpStream::connect(listener.addr).unwrap();
    kept.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    assert_eq!(read_answer(&mut kept).0, 200);
    std::thread::sleep(Duration::from_millis(200));
    let started = std::time::Instant::now();
    Command::new("kill")
        .args(["-TERM", &listener.child.id().to_string()])
        .status()
        .unwrap();
    let status = listener
        .wait_for_exit(Duration::from_secs(10))
        .expect("stopped");
    assert!(status.success());
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn control_characters_from_a_request_are_shown_escaped() {
    let listener = Listener::start(&["--path", "/vcs"]);
    let mut payload = sample("clients.create");
    payload["event"]["events_id"] = json!("clients.create\u{1b}[32m ok\r");
    payload["data"]["name"] = json!("\u{1b}[2J");
    post(listener.addr, "/vcs", "", &payload.to_string());
    // A refused request whose target carries an escape (percent-encoded on the wire).
    post(listener.addr, "/other%1b[31m", "", "{}");
    let (_, out, err) = listener.stop_all();
    let text = format!("{out}{err}");
    assert!(
        !text.chars().any(|c| c.is_control() && c != '\n'),
        "{text:?}"
    );
    assert!(out.contains("clients.create\\u001b[32m ok\\r"), "{out}");
}

#[test]
fn a_client_that_half_closes_after_sending_gets_its_answer() {
    let dir = tempfile::tempdir().unwrap();
    let save = dir.path().join("capture.ndjson");
    let listener = Listener::start(&["--save", save.to_str().unwrap()]);
    let mut stream = TcpStream::connect(listener.addr).unwrap();
    let payload = sample("clients.create").to_string();
    write!(
        stream,
        "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\n\r\n{payload}",
        payload.len()
    )
    .unwrap();
    stream.shutdown(std::net::Shutdown::Write).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let (status, _, _) = read_answer(&mut stream);
    assert_eq!(status, 200);
    assert_eq!(saved(&save).len(), 1);
}

#[test]
fn a_body_with_a_byte_order_mark_is_taken() {
    let listener = Listener::start(&[]);
    let body = format!("\u{feff}{}", sample("clients.create"));
    let (status, _) = post(listener.addr, "/", "", &body);
    assert_eq!(status, 200);
}

#[test]
fn the_listeners_token_is_not_forwarded_nor_headers_named_in_connection() {
    let (handler, seen) = fake_handler(|stream: &mut TcpStream| {
        let _ = stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
    });
    let target = format!("http://{handler}/vcs");
    let listener = Listener::start(&["--forward-to", &target, "--token", "listensecret"]);
    let (status, _) = post(
        listener.addr,
        "/",
        "Authorization: Bearer listensecret\r\nConnection: X-Hop\r\nX-Hop: 1\r\nX-End: 2\r\n",
        &sample("clients.create").to_string(),
    );
    assert_eq!(status, 200);
    let request = seen.lock().unwrap()[0].to_ascii_lowercase();
    assert!(!request.contains("listensecret"), "{request}");
    assert!(!request.contains("x-hop"), "{request}");
    assert!(request.contains("x-end: 2"), "{request}");
}

#[test]
fn quiet_prints_only_invalid_payloads_and_refused_requests() {
    let listener = Listener::start(&["-q", "--path", "/vcs"]);
    post(
        listener.addr,
        "/vcs",
        "",
        &sample("clients.create").to_string(),
    );
    let mut invalid = sample("clients.create");
    invalid["data"]["name"] = json!(5);
    post(listener.addr, "/vcs", "", &invalid.to_string());
    post(listener.addr, "/elsewhere", "", "{}");
    let (_, out) = listener.stop();
    let lines: Vec<&str> = out.lines().filter(|l| !l.starts_with("    ")).collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].contains('✗') && lines[1].contains("refused"),
        "{out}"
    );
}

#[test]
fn a_request_with_broken_framing_is_a_refused_line_too() {
    let listener = Listener::start(&[]);
    let body = sample("clients.create").to_string();
    for framing in [
        "Content-Length: -1".to_string(),
        format!("Content-Length: {0}\r\nContent-Length: {0}1", body.len()),
        "Transfer-Encoding: gzip".to_string(),
    ] {
        let (status, _) = http(
            listener.addr,
            &format!(
                "POST / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{framing}\r\n\r\n{body}"
            ),
        );
        assert_eq!(status, 400, "{framing}");
    }
    let (_, out, err) = listener.stop_all();
    let refused: Vec<&str> = out.lines().filter(|l| l.contains("refused")).collect();
    assert_eq!(refused.len(), 3, "{out}");
    assert!(
        refused.iter().all(|l| l.contains("not readable as HTTP")),
        "{out}"
    );
    assert!(err.contains("3 malformed HTTP (400)"), "{err}");
}

/// A POST with the headers given (a `Host` among them) and a sample payload.
fn post_with(addr: SocketAddr, headers: &str) -> (u16, String) {
    let body = sample("clients.create").to_string();
    http(
        addr,
        &format!(
            "POST / HTTP/1.1\r\n{headers}Connection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )
}

/// A connection kept open for several requests.
fn kept_alive(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
}

/// Posts a sample on a kept-alive connection; the status, head and body of the answer.
fn post_on(stream: &mut TcpStream) -> (u16, String, String) {
    let body = sample("clients.create").to_string();
    write!(
        stream,
        "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    read_answer(stream)
}

#[test]
fn a_web_page_cannot_post_forged_events_nor_reach_it_by_another_name() {
    let (handler, seen) = fake_handler(|stream| {
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    });
    let forward = format!("http://{handler}/hook");
    let listener = Listener::start(&["--forward-to", &forward, "--format", "json"]);
    let addr = listener.addr;
    let host = "Host: localhost\r\n";
    for (headers, what) in [
        ("Origin: https://evil.example\r\n", "another site's page"),
        ("Origin: null\r\n", "a sandboxed page"),
        ("Sec-Fetch-Site: cross-site\r\n", "fetch metadata alone"),
        (
            "Sec-Fetch-Site: same-origin\r\n",
            "a page on this very port",
        ),
    ] {
        let (status, body) = post_with(addr, &format!("{host}{headers}"));
        assert_eq!(status, 403, "{what}: {body}");
        assert!(body.contains("--allow-origin"), "{body}");
    }
    for name in [
        "attacker.example",
        "attacker.example:80",
        "127.0.0.1.nip.io",
        "localhost.evil.example",
    ] {
        let (status, body) = post_with(addr, &format!("Host: {name}\r\n"));
        assert_eq!(status, 403, "Host {name}: {body}");
        assert!(body.contains("loopback names"), "{body}");
    }
    assert!(seen.lock().unwrap().is_empty(), "nothing was forwarded");
    for name in [
        "localhost",
        "LOCALHOST:8787",
        "127.0.0.1",
        "127.0.0.2:80",
        "[::1]:8787",
        "app.localhost",
    ] {
        let (status, body) = post_with(addr, &format!("Host: {name}\r\nSec-Fetch-Site: none\r\n"));
        assert_eq!(status, 200, "Host {name}: {body}");
    }
    assert_eq!(seen.lock().unwrap().len(), 6);
    let (_, out, err) = listener.stop_all();
    let refused: Vec<Value> = out
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .filter(|line| line.get("refused").is_some())
        .collect();
    assert_eq!(refused.len(), 8, "{out}");
    assert!(refused.iter().all(|line| line["reply_status"] == 403));
    assert!(
        err.contains("4 from a web page (403), 4 foreign Host (403)"),
        "{err}"
    );

    // A page posting on purpose, from an origin allowed by name.
    let listener = Listener::start(&["--allow-origin", "http://localhost:3000"]);
    let allowed =
        "Host: localhost\r\nOrigin: http://localhost:3000\r\nSec-Fetch-Site: same-site\r\n";
    assert_eq!(post_with(listener.addr, allowed).0, 200);
    let other = "Host: localhost\r\nOrigin: http://localhost:3001\r\n";
    assert_eq!(post_with(listener.addr, other).0, 403);
    let (code, err) = refused_flags(&["--allow-origin", "localhost:3000/app"]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("--allow-origin localhost:3000/app: expected an origin"),
        "{err}"
    );
}

#[test]
fn an_empty_token_is_a_usage_error_naming_where_it_came_from() {
    for (args, env, named) in [
        (&["--token", ""][..], None, "--token is empty"),
        (&["--token=  "][..], None, "--token is empty"),
        (
            &[][..],
            Some(""),
            "JERAHOOK_TOKEN (from the environment) is empty",
        ),
        (
            &[][..],
            Some(" \t"),
            "JERAHOOK_TOKEN (from the environment) is empty",
        ),
    ] {
        let mut command = Command::new(binary());
        command
            .args(["listen", "--addr", "127.0.0.1:0"])
            .args(args)
            .env_remove("JERAHOOK_TOKEN");
        if let Some(value) = env {
            command.env("JERAHOOK_TOKEN", value);
        }
        let output = command.output().unwrap();
        let err = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?} {env:?}: {err}");
        assert!(err.contains(named), "{args:?} {env:?}: {err}");
    }
}

#[test]
fn a_path_that_can_never_match_is_refused_at_start() {
    for path in [
        "../x",
        "/a/../x",
        "/./x",
        "/x?token=1",
        "/x#frag",
        "/x y",
        "/hööks",
        "/%2e%2e",
        "/h%41",
    ] {
        let (code, err) = refused_flags(&["--path", path]);
        assert_eq!(code, Some(2), "{path}: {err}");
        assert!(err.contains("--path"), "{path}: {err}");
    }
    let listener = Listener::start(&["--path", "vcs/hook"]);
    assert!(
        listener.banner.contains("/vcs/hook\n"),
        "{}",
        listener.banner
    );
}

#[test]
fn the_forward_targets_secret_goes_to_nobody() {
    // Nothing listens there: the handler is down.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let target = format!("http://user:pa55@127.0.0.1:{port}/hook?token=SECRET");
    let listener = Listener::start(&["--forward-to", &target, "--ui", "127.0.0.1:0"]);
    assert!(
        listener.banner.contains(&format!(
            "forwarding every payload to http://…@127.0.0.1:{port}/hook?…"
        )),
        "{}",
        listener.banner
    );
    let (status, body) = post(
        listener.addr,
        "/",
        "",
        &sample("clients.create").to_string(),
    );
    assert_eq!(status, 502);
    assert_eq!(body, r#"{"error":"handler unreachable"}"#);
    let page = listener
        .banner
        .split("inspector page on http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap()
        .parse::<SocketAddr>()
        .unwrap();
    for target in ["/api/info", "/api/requests", "/api/requests/1"] {
        let (status, body) = http(
            page,
            &format!("GET {target} HTTP/1.1\r\nHost: {page}\r\nConnection: close\r\n\r\n"),
        );
        assert_eq!(status, 200, "{target}");
        assert!(
            !body.contains("SECRET") && !body.contains("pa55"),
            "{target}: {body}"
        );
    }
    let (_, out, err) = listener.stop_all();
    assert!(out.contains("handler unreachable"), "{out}");
    for text in [&out, &err] {
        assert!(!text.contains("SECRET") && !text.contains("pa55"), "{text}");
    }
}

#[test]
fn a_protocol_switch_from_the_handler_is_a_502_and_bodiless_statuses_go_back_without_body() {
    let (switching, _) = fake_handler(|stream| {
        let _ = stream.write_all(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
        );
        std::thread::sleep(Duration::from_millis(200));
    });
    let listener = Listener::start(&["--forward-to", &format!("http://{switching}/")]);
    let (status, body) = post(
        listener.addr,
        "/",
        "",
        &sample("clients.create").to_string(),
    );
    assert_eq!(status, 502, "{body}");
    assert_eq!(body, r#"{"error":"bad handler answer"}"#);
    let (_, out) = listener.stop();
    assert!(
        out.contains("101"),
        "the line says what the handler did: {out}"
    );

    let (reset, _) = fake_handler(|stream| {
        let _ = stream.write_all(
            b"HTTP/1.1 205 Reset Content\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello",
        );
    });
    let listener = Listener::start(&["--forward-to", &format!("http://{reset}/")]);
    let mut stream = kept_alive(listener.addr);
    for _ in 0..2 {
        let (status, head, answer) = post_on(&mut stream);
        assert_eq!(status, 205, "{head}");
        assert_eq!(answer, "", "{head}");
        assert!(
            !head.to_ascii_lowercase().contains("content-type"),
            "{head}"
        );
    }
}

#[test]
fn a_handler_answer_without_a_type_goes_back_without_one() {
    let (bare, _) = fake_handler(|stream| {
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    });
    let listener = Listener::start(&["--forward-to", &format!("http://{bare}/")]);
    let (status, head, answer) = post_on(&mut kept_alive(listener.addr));
    assert_eq!((status, answer.as_str()), (200, "ok"), "{head}");
    assert!(
        !head.to_ascii_lowercase().contains("content-type"),
        "{head}"
    );
}
#[test]
fn extra_keys_by_the_thousand_hold_up_no_other_payload() {
    let listener = Listener::start(&["--format", "json"]);
    let mut heavy = sample("clients.create");
    for i in 0..120_000 {
        heavy[format!("k{i}")] = json!(0);
    }
    let heavy = heavy.to_string();
    let addr = listener.addr;
    let posters: Vec<_> = (0..2)
        .map(|_| {
            let heavy = heavy.clone();
            std::thread::spawn(move || post(addr, "/", "", &heavy))
        })
        .collect();
    std::thread::sleep(Duration::from_millis(100));
    let started = std::time::Instant::now();
    let (status, _) = post(addr, "/", "", &sample("clients.update").to_string());
    let waited = started.elapsed();
    assert_eq!(status, 200);
    assert!(
        waited < Duration::from_secs(2),
        "an ordinary payload waited {waited:?} behind two heavy ones"
    );
    for poster in posters {
        let (status, body) = poster.join().unwrap();
        assert_eq!(status, 200, "{body}");
    }
    let (_, out) = listener.stop();
    let heavy: Vec<Value> = out
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .filter(|line| line["warnings"].as_array().is_some_and(|w| !w.is_empty()))
        .collect();
    assert_eq!(heavy.len(), 2, "{out}");
    for line in heavy {
        let warnings = line["warnings"].as_array().unwrap();
        assert_eq!(warnings.len(), 101, "a hundred shown, and a note");
        let note = warnings[100]["message"].as_str().unwrap();
        assert!(note.contains("the first 100 are shown"), "{note}");
    }
}

#[test]
fn json_lines_write_steering_characters_as_escapes() {
    let listener = Listener::start(&["--format", "json"]);
    let mut payload = sample("clients.create");
    payload["data"]["companies_id"] = json!("12\u{202e}34\u{7f}\u{85}");
    let body = payload.to_string();
    assert!(body.contains('\u{202e}'), "sent raw");
    assert_eq!(post(listener.addr, "/", "", &body).0, 200);
    assert_eq!(post(listener.addr, "/\u{202e}", "", "{").0, 400);
    let (_, out) = listener.stop();
    for raw in ['\u{202e}', '\u{7f}', '\u{85}'] {
        assert!(!out.contains(raw), "{out:?}");
    }
    assert!(out.contains(r"12\u202e34\u007f\u0085"), "{out}");
}
