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

/// A `jerahook listen` child on a free loopback port; killed when dropped.
struct Listener {
    child: Child,
    addr: SocketAddr,
    /// Its standard output, read all along so that it never blocks on a full pipe.
    stdout: Option<std::thread::JoinHandle<String>>,
}

impl Listener {
    fn start(args: &[&str]) -> Listener {
        let mut child = Command::new(binary())
            .args(["listen", "--addr", "127.0.0.1:0"])
            .args(args)
            .current_dir(root())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut first = String::new();
        stderr.read_line(&mut first).unwrap();
        let addr = first
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_else(|| panic!("no address in {first:?}"))
            .parse()
            .unwrap();
        // Keep draining stderr and stdout so the child never blocks on them.
        std::thread::spawn(move || {
            let mut rest = String::new();
            let _ = stderr.read_to_string(&mut rest);
        });
        let mut out = child.stdout.take().unwrap();
        let stdout = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = out.read_to_string(&mut text);
            text
        });
        Listener {
            child,
            addr,
            stdout: Some(stdout),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// SIGINT, as Ctrl-C; returns the exit status and stdout.
    fn stop(mut self) -> (Option<i32>, String) {
        interrupt(&self.child);
        let status = self.child.wait().unwrap().code();
        let out = self
            .stdout
            .take()
            .map(|t| t.join().unwrap())
            .unwrap_or_default();
        (status, out)
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
            "POST {target} HTTP/1.1\r\nHost: test\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{headers}\r\n{body}",
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
        "PUT / HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}",
    );
    assert_eq!(status, 405);
    let (status, body) = http(
        addr,
        "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 200);
    assert!(body.contains("\"uptime_seconds\""), "{body}");

    // A client that sends its headers and stalls is timed out; others are served meanwhile.
    let mut stalled = TcpStream::connect(addr).unwrap();
    stalled
        .write_all(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n{\"event\"")
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
