//! `listen --ui` end to end: payloads posted to the listen address come back from the
//! page's API with their verdicts, replays reach a handler, the stream announces new requests.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

fn binary() -> PathBuf {
    assert_cmd::cargo::cargo_bin("jerahook")
}

/// `jerahook listen --ui` on free loopback ports; killed when dropped.
struct Listener {
    child: Child,
    addr: SocketAddr,
    page: SocketAddr,
    banner: String,
    /// `--token`, which the page's requests carry.
    token: Option<String>,
}

impl Listener {
    fn start(args: &[&str]) -> Listener {
        let mut child = Command::new(binary())
            .args(["listen", "--addr", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::null())
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
        std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
        // The port after the marker, on loopback (the page may listen on all interfaces).
        let after = |marker: &str| -> SocketAddr {
            let port = banner
                .split(marker)
                .nth(1)
                .and_then(|rest| rest.split('/').next())
                .and_then(|host| host.rsplit(':').next())
                .unwrap_or_else(|| panic!("no {marker} in {banner:?}"));
            SocketAddr::from(([127, 0, 0, 1], port.parse().unwrap()))
        };
        let (addr, page) = (
            after("listening on http://"),
            after("inspector page on http://"),
        );
        let token = args
            .iter()
            .position(|arg| *arg == "--token")
            .map(|i| args[i + 1].to_string());
        Listener {
            child,
            addr,
            page,
            banner,
            token,
        }
    }

    /// A GET to the page, with the token when there is one.
    fn get(&self, target: &str) -> (u16, String) {
        let target = match &self.token {
            Some(token) if !target.contains("token=") => {
                let separator = if target.contains('?') { '&' } else { '?' };
                format!("{target}{separator}token={token}")
            }
            _ => target.to_string(),
        };
        exchange(self.page, "GET", &target, "", "")
    }

    fn json(&self, target: &str) -> Value {
        let (status, body) = self.get(target);
        assert_eq!(status, 200, "{target}: {body}");
        serde_json::from_str(&body).unwrap()
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 exchange with `Connection: close`; the status and the body.
fn exchange(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &str,
    body: &str,
) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let host = if headers.starts_with("Host:") {
        String::new()
    } else {
        format!("Host: {addr}\r\n")
    };
    let request = format!(
        "{method} {target} HTTP/1.1\r\n{host}Connection: close\r\nContent-Length: {}\r\n{headers}\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status in {answer:?}"));
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or_default();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        return (status, dechunked(body));
    }
    (status, body.to_string())
}

/// A chunked body's data.
fn dechunked(mut rest: &str) -> String {
    let mut data = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap();
        if size == 0 {
            break;
        }
        data.push_str(&after[..size]);
        rest = &after[size + 2..];
    }
    data
}

fn post(addr: SocketAddr, target: &str, headers: &str, body: &str) -> u16 {
    let headers = format!("Content-Type: application/json\r\n{headers}");
    exchange(addr, "POST", target, &headers, body).0
}

fn sample(id: &str) -> String {
    jerahook::catalog::find(id).unwrap().example.to_string()
}

/// A payload whose object id is markup, and whose date is not one.
const HOSTILE: &str = r#"{"event":{"dt":"yesterday","events_id":"clients.archive","object_id":"<script>alert(1)</script>"},"data":{}}"#;

/// A handler on a free port that answers 200 `handled` and keeps the bodies it got.
fn handler() -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&bodies);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some((name, value)) = line.split_once(':') {
                    if name.eq_ignore_ascii_case("content-length") {
                        length = value.trim().parse().unwrap();
                    }
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            log.lock().unwrap().push(String::from_utf8(body).unwrap());
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\nConnection: close\r\n\r\nhandled",
            );
        }
    });
    (addr, bodies)
}

fn numbers(list: &Value) -> Vec<u64> {
    list["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["n"].as_u64().unwrap())
        .collect()
}

#[test]
fn posted_requests_come_back_with_their_verdicts_and_no_token() {
    let listener = Listener::start(&["--ui", "127.0.0.1:0", "--token", "s3cret"]);
    assert!(
        listener.banner.contains(&format!(
            "inspector page on http://{}/?token=s3cret\n",
            listener.page
        )),
        "the page's URL carries the token: {}",
        listener.banner
    );
    let valid = sample("clients.create");
    assert_eq!(
        post(
            listener.addr,
            "/hook",
            "Authorization: Bearer s3cret\r\n",
            &valid
        ),
        200
    );
    assert_eq!(post(listener.addr, "/hook?token=s3cret", "", HOSTILE), 200);
    assert_eq!(post(listener.addr, "/hook", "", &valid), 401);

    let list = listener.json("/api/requests");
    assert_eq!(numbers(&list), [3, 2, 1], "newest first");
    let verdicts: Vec<&str> = list["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(verdicts, ["refused", "invalid", "valid"]);
    let first = &list["requests"][2];
    assert_eq!(first["event"], "clients.create");
    assert_eq!(first["reply_status"], 200);
    assert!(first["latency_ms"].as_f64().unwrap() > 0.0);
    assert_eq!(list["requests"][0]["reply_status"], 401);
    assert_eq!(list["requests"][0]["message"], "missing or wrong token");

    let detail = listener.json("/api/requests/2");
    assert_eq!(detail["body"], HOSTILE, "the raw body as received");
    assert_eq!(detail["path"], "/hook?token=***");
    let errors: Vec<&str> = detail["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|issue| issue["path"].as_str().unwrap())
        .collect();
    assert!(errors.contains(&"/event/object_id"), "{errors:?}");
    let marked: Vec<(&str, u64)> = detail["pretty"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|segment| Some((segment["text"].as_str()?, segment["issue"].as_u64()?)))
        .collect();
    let at = errors
        .iter()
        .position(|p| *p == "/event/object_id")
        .unwrap() as u64;
    assert!(
        marked.contains(&("\"<script>alert(1)</script>\"", at)),
        "the offending value is marked: {marked:?}"
    );
    assert!(
        detail["inspect"]
            .as_str()
            .unwrap()
            .contains("clients.archive"),
        "{}",
        detail["inspect"]
    );
    assert!(
        detail["commands"]["curl"]
            .as_str()
            .unwrap()
            .contains("curl ")
    );

    let headers = listener.json("/api/requests/1")["headers"].clone();
    assert!(
        headers
            .as_array()
            .unwrap()
            .contains(&json!(["authorization", "Bearer ***"])),
        "{headers}"
    );
    for target in ["/api/requests", "/api/requests/1", "/api/requests/2"] {
        assert!(!listener.get(target).1.contains("s3cret"), "{target}");
    }
    assert_eq!(listener.get("/api/requests/9").0, 404);
    assert_eq!(listener.get("/api/requests?verdict=maybe").0, 400);
    let invalid = listener.json("/api/requests?verdict=invalid");
    assert_eq!(numbers(&invalid), [2]);
    assert_eq!(numbers(&listener.json("/api/requests?q=ALERT")), [2]);
    assert_eq!(
        numbers(&listener.json("/api/requests?event=clients.create")),
        [1]
    );
    assert_eq!(numbers(&listener.json("/api/requests?after=1")), [3, 2]);
}

#[test]
fn the_capture_holds_the_payloads_as_save_writes_them() {
    let listener = Listener::start(&["--ui", "127.0.0.1:0"]);
    let pretty = "{\n  \"event\": {\"dt\": \"2025-01-01 10:00:00+0000\", \"events_id\": \"clients.archive\", \"object_id\": 7},\n  \"data\": {\"name\": \"A B\"}\n}";
    assert_eq!(post(listener.addr, "/", "", pretty), 200);
    assert_eq!(exchange(listener.addr, "PUT", "/", "", "").0, 405);
    assert_eq!(post(listener.addr, "/", "", "{\"event\": "), 400);
    assert_eq!(post(listener.addr, "/", "", HOSTILE), 200);
    let compact = r#"{"event":{"dt":"2025-01-01 10:00:00+0000","events_id":"clients.archive","object_id":7},"data":{"name":"A B"}}"#;
    let (status, all) = listener.get("/api/capture");
    assert_eq!(status, 200);
    assert_eq!(
        all,
        format!("{compact}\n{HOSTILE}\n"),
        "refused ones have none"
    );
    assert_eq!(listener.get("/api/capture?n=4").1, format!("{HOSTILE}\n"));
    let broken = listener.json("/api/requests/3");
    assert_eq!(broken["verdict"], "refused");
    assert_eq!(
        broken["body"], "{\"event\": ",
        "a body that is not JSON is shown"
    );
    assert!(
        broken["commands"].is_null(),
        "and is not offered for replay"
    );
    assert_eq!(
        listener.get("/api/capture?verdict=valid").1,
        format!("{compact}\n")
    );
    assert_eq!(listener.get("/api/requests/1/body").1, pretty);
}

#[test]
fn a_replay_reaches_the_forward_target_or_a_typed_url() {
    let (forward, forwarded) = handler();
    let (other, others) = handler();
    let forward_url = format!("http://{forward}/vcs");
    let listener = Listener::start(&["--ui", "127.0.0.1:0", "--forward-to", &forward_url]);
    let body = sample("clients.update");
    assert_eq!(post(listener.addr, "/", "", &body), 200);
    assert_eq!(forwarded.lock().unwrap().len(), 1);
    let detail = listener.json("/api/requests/1");
    assert_eq!(detail["forward"]["status"], 200);
    assert_eq!(detail["forward"]["body"], "handled");
    assert_eq!(detail["forward_status"], 200);

    let replay = |headers: &str, asked: &str| {
        exchange(
            listener.page,
            "POST",
            "/api/requests/1/replay",
            headers,
            asked,
        )
    };
    let json_type = "Content-Type: application/json\r\n";
    let (status, answer) = replay(json_type, "{}");
    assert_eq!(status, 200, "{answer}");
    let answer: Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(answer["url"], forward_url);
    assert_eq!(answer["result"]["status"], 200);
    assert_eq!(answer["result"]["body"], "handled");
    assert_eq!(*forwarded.lock().unwrap(), [body.clone(), body.clone()]);

    let typed = format!(r#"{{"url": "http://{other}/elsewhere"}}"#);
    let (status, answer) = replay(json_type, &typed);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(*others.lock().unwrap(), [body], "byte for byte");

    assert_eq!(
        replay("Content-Type: text/plain\r\n", &typed).0,
        415,
        "a form on another site cannot replay"
    );
    assert_eq!(replay(json_type, r#"{"url": "ftp://x"}"#).0, 400);
    assert_eq!(
        exchange(
            listener.page,
            "POST",
            "/api/requests/7/replay",
            json_type,
            "{}"
        )
        .0,
        404
    );
}

#[test]
fn the_event_stream_announces_each_new_request() {
    let listener = Listener::start(&["--ui", "127.0.0.1:0"]);
    let mut stream = TcpStream::connect(listener.page).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET /api/events HTTP/1.1\r\nHost: {}\r\n\r\n",
        listener.page
    )
    .unwrap();
    let mut reader = BufReader::new(stream);
    let mut seen = String::new();
    while !seen.contains(": listening") {
        assert!(reader.read_line(&mut seen).unwrap() > 0, "{seen}");
    }
    assert!(seen.contains("text/event-stream"), "{seen}");
    assert_eq!(post(listener.addr, "/", "", HOSTILE), 200);
    let mut line = String::new();
    let data = loop {
        line.clear();
        assert!(reader.read_line(&mut line).unwrap() > 0);
        if let Some(data) = line.strip_prefix("data: ") {
            break data.to_string();
        }
    };
    let entry: Value = serde_json::from_str(&data).unwrap();
    assert_eq!(entry["n"], 1);
    assert_eq!(entry["verdict"], "invalid");
}

#[test]
fn the_history_keeps_the_last_n() {
    let listener = Listener::start(&["--ui", "127.0.0.1:0", "--ui-history", "2"]);
    for _ in 0..3 {
        assert_eq!(
            post(listener.addr, "/", "", &sample("clients.archive")),
            200
        );
    }
    let list = listener.json("/api/requests");
    assert_eq!(numbers(&list), [3, 2]);
    assert_eq!(list["capacity"], 2);
    let (status, body) = listener.get("/api/requests/1");
    assert_eq!(status, 404);
    assert!(body.contains("keeps the last 2"), "{body}");
}

#[test]
fn the_page_is_embedded_and_answers_only_to_its_own_names() {
    let listener = Listener::start(&["--ui", "127.0.0.1:0"]);
    let (status, page) = listener.get("/");
    assert_eq!(status, 200);
    assert!(page.contains("<script src=\"page.js\""), "{page}");
    assert_eq!(listener.get("/page.js").0, 200);
    assert_eq!(listener.get("/page.css").0, 200);
    assert_eq!(listener.get("/nothing").0, 404);
    let (status, _) = exchange(
        listener.page,
        "GET",
        "/api/requests",
        "Host: attacker.example\r\n",
        "",
    );
    assert_eq!(status, 421, "a name pointed at 127.0.0.1 by another site");
    let (status, _) = exchange(
        listener.page,
        "GET",
        "/api/requests",
        "Host: localhost:9000\r\n",
        "",
    );
    assert_eq!(status, 200, "an SSH tunnel's local port");
    let (status, _) = listener.get("/api/requests?after=18446744073709551615");
    assert_eq!(status, 200, "the largest number is no overflow");
}

#[test]
fn off_loopback_the_page_needs_the_token() {
    let refused = Command::new(binary())
        .args(["listen", "--addr", "127.0.0.1:0", "--ui", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2), "{refused:?}");
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("--ui 0.0.0.0:0: a page beyond loopback"),
        "{refused:?}"
    );
    let listener = Listener::start(&["--ui", "0.0.0.0:0", "--token", "s3cret"]);
    assert!(
        listener.banner.contains("/?token=s3cret"),
        "{}",
        listener.banner
    );
    let page = listener.page;
    assert_eq!(exchange(page, "GET", "/api/requests", "", "").0, 401);
    assert_eq!(
        exchange(page, "GET", "/api/requests?token=s3cret", "", "").0,
        200
    );
    assert_eq!(
        exchange(page, "GET", "/", "Authorization: Bearer s3cret\r\n", "").0,
        200
    );
}

#[test]
fn a_big_body_is_shown_cut_with_a_link_to_the_whole() {
    let listener = Listener::start(&["--ui", "127.0.0.1:0"]);
    let name = "n".repeat(70 * 1024);
    let big = format!(
        r#"{{"event":{{"dt":"2025-01-01 10:00:00+0000","events_id":"clients.archive","object_id":7}},"data":{{"name":"{name}"}}}}"#
    );
    assert_eq!(post(listener.addr, "/", "", &big), 200);
    let detail = listener.json("/api/requests/1");
    assert_eq!(detail["body_truncated"], true);
    assert_eq!(detail["body"].as_str().unwrap().len(), 64 * 1024);
    assert_eq!(detail["size"], big.len());
    assert!(detail["pretty"].is_null());
    assert_eq!(detail["body_url"], "/api/requests/1/body");
    assert_eq!(listener.get("/api/requests/1/body").1, big);
    assert_eq!(
        detail["commands"]["send"],
        format!(
            "jerahook send --to 'http://{}/' request-1.json",
            listener.addr
        )
    );
}

/// Opens a live-update stream; the connection and the head of its answer.
fn open_stream(page: SocketAddr) -> (TcpStream, String) {
    let mut stream = TcpStream::connect(page).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(stream, "GET /api/events HTTP/1.1\r\nHost: {page}\r\n\r\n").unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    (stream, String::from_utf8_lossy(&head).into_owned())
}

#[test]
fn with_a_token_the_page_asks_for_it_on_loopback_too() {
    let listener = Listener::start(&["--ui", "127.0.0.1:0", "--token", "s3cret"]);
    assert!(
        listener.banner.contains(&format!(
            "inspector page on http://{}/?token=s3cret",
            listener.page
        )),
        "{}",
        listener.banner
    );
    let page = listener.page;
    assert_eq!(exchange(page, "GET", "/api/requests", "", "").0, 401);
    assert_eq!(exchange(page, "GET", "/api/events", "", "").0, 401);
    assert_eq!(listener.get("/api/requests").0, 200);
    // The page itself holds no data: it loads without the token, and asks for it.
    assert_eq!(exchange(page, "GET", "/", "", "").0, 200);
    let script = exchange(page, "GET", "/page.js", "", "").1;
    assert!(
        script.contains("function askToken()"),
        "the page asks for it"
    );
}

#[test]
fn live_update_streams_have_their_own_cap_and_are_told_so() {
    let listener = Listener::start(&["--ui", "127.0.0.1:0"]);
    let open: Vec<TcpStream> = (0..8)
        .map(|_| {
            let (stream, head) = open_stream(listener.page);
            assert!(head.starts_with("HTTP/1.1 200"), "{head}");
            stream
        })
        .collect();
    let (status, body) = listener.get("/api/events");
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("too many live-update streams"), "{body}");
    assert_eq!(listener.get("/api/info").0, 200, "the page still answers");
    drop(open);
    std::thread::sleep(Duration::from_millis(300));
    let (_, head) = open_stream(listener.page);
    assert!(
        head.starts_with("HTTP/1.1 200"),
        "closed streams give their place: {head}"
    );
}

#[test]
fn connections_over_the_cap_are_told_503_not_reset() {
    let listener = Listener::start(&["--ui", "127.0.0.1:0"]);
    // Silent connections up to the cap (the header timeout would close them in 10 s).
    let _held: Vec<TcpStream> = (0..64)
        .map(|_| TcpStream::connect(listener.page).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let (status, body) = listener.get("/api/info");
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("connections open"), "{body}");
}

#[test]
fn a_download_nobody_reads_is_cut_off() {
    let listener = Listener::start(&["--ui", "127.0.0.1:0", "--max-body", "2MiB"]);
    let name = "n".repeat(1 << 20);
    let big = format!(
        r#"{{"event":{{"dt":"2025-01-01 10:00:00+0000","events_id":"clients.archive","object_id":7}},"data":{{"name":"{name}"}}}}"#
    );
    for _ in 0..24 {
        assert_eq!(post(listener.addr, "/", "", &big), 200);
    }
    let stall = || {
        let mut stalled = TcpStream::connect(listener.page).unwrap();
        write!(
            stalled,
            "GET /api/capture HTTP/1.1\r\nHost: {}\r\n\r\n",
            listener.page
        )
        .unwrap();
        stalled
    };
    let mut stalled = stall();
    let _others: Vec<TcpStream> = (0..3).map(|_| stall()).collect();
    std::thread::sleep(Duration::from_millis(500));
    let (status, body) = listener.get("/api/capture");
    assert_eq!(status, 503, "four downloads at once at most: {body}");
    // Past the write timeout (10 s) without reading a byte.
    std::thread::sleep(Duration::from_secs(13));
    stalled
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut received = 0;
    let mut buf = vec![0u8; 1 << 16];
    let ended = loop {
        match stalled.read(&mut buf) {
            Ok(0) => break true,
            Ok(n) => received += n,
            Err(error) => break error.kind() == std::io::ErrorKind::ConnectionReset,
        }
    };
    assert!(ended, "the server closed the connection");
    assert!(
        received < 24 * big.len(),
        "cut before the end: {received} bytes"
    );
    // A reader that reads gets it all.
    let (status, whole) = listener.get("/api/capture");
    assert_eq!(status, 200);
    assert_eq!(whole.lines().count(), 24);
}

#[test]
fn a_refused_request_keeps_its_headers_and_target_cut() {
    let listener = Listener::start(&["--ui", "127.0.0.1:0", "--token", "t0ken"]);
    let pad = "p".repeat(8 << 10);
    let headers: String = (0..30).map(|i| format!("X-Pad-{i}: {pad}\r\n")).collect();
    let target = format!("/{}", "t".repeat(10 << 10));
    let (status, _) = exchange(listener.addr, "POST", &target, &headers, "{}");
    assert_eq!(status, 401);
    let detail = listener.json("/api/requests/1");
    let kept = detail["headers"].as_array().unwrap();
    let bytes: usize = kept
        .iter()
        .map(|pair| pair[0].as_str().unwrap().len() + pair[1].as_str().unwrap().len())
        .sum();
    assert!(bytes < 17 << 10, "{bytes} bytes of headers kept");
    let last = kept.last().unwrap();
    assert_eq!(last[0], "…");
    assert!(
        last[1].as_str().unwrap().contains("more headers not kept"),
        "{last}"
    );
    assert!(detail["path"].as_str().unwrap().len() < 3 << 10);
}

#[test]
fn a_replay_that_leads_back_to_the_page_is_a_loop() {
    let listener = Listener::start(&["--ui", "127.0.0.1:0"]);
    assert_eq!(post(listener.addr, "/", "", &sample("clients.create")), 200);
    let back = json!({ "url": format!("http://{}/api/requests/1/replay", listener.page) });
    let (status, body) = exchange(
        listener.page,
        "POST",
        "/api/requests/1/replay",
        "Content-Type: application/json\r\n",
        &back.to_string(),
    );
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["result"]["status"], 508, "{body}");
}

#[test]
fn a_summary_megabytes_long_is_shown_cut() {
    let listener = Listener::start(&["--ui", "127.0.0.1:0"]);
    let key = "K".repeat(60_000);
    let repeats: String = (0..101).map(|i| format!("\"d0\":{i},")).collect();
    let body = format!(
        r#"{{"event":{{"dt":"2025-01-01 10:00:00+0000","events_id":"clients.archive","object_id":7}},"data":{{"{key}":{{{}}}}}}}"#,
        repeats.trim_end_matches(',')
    );
    assert_eq!(post(listener.addr, "/", "", &body), 200);
    let detail = listener.json("/api/requests/1");
    let summary = detail["inspect"].as_str().unwrap();
    assert!(summary.len() < 70 << 10, "{} bytes", summary.len());
    assert!(
        summary.ends_with("`jerahook inspect` of the body)"),
        "{}",
        &summary[summary.len() - 80..]
    );
}

#[test]
fn a_replay_url_that_does_not_parse_is_named_without_its_secrets() {
    let listener = Listener::start(&["--ui", "127.0.0.1:0"]);
    assert_eq!(post(listener.addr, "/", "", &sample("clients.create")), 200);
    let asked = json!({ "url": "http://u:hunter2@127.0.0.1:99999/?token=sekret" });
    let (status, body) = exchange(
        listener.page,
        "POST",
        "/api/requests/1/replay",
        "Content-Type: Application/JSON\r\n",
        &asked.to_string(),
    );
    assert_eq!(status, 400, "{body}");
    assert!(
        !body.contains("hunter2") && !body.contains("sekret"),
        "{body}"
    );
    assert!(body.contains("not a URL: invalid port number"), "{body}");
}
