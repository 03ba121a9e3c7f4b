//! `test-handler` end to end: the binary against handlers started here on 127.0.0.1:0, each
//! with one fault a real handler may have, and against the example handler in `examples/`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, Uri};
use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// What a test handler sees of a request.
struct Seen<'a> {
    headers: &'a HeaderMap,
    uri: &'a Uri,
    body: &'a [u8],
    payload: Value,
}

/// A handler's answer: status, and how long it takes to give it.
type Behaviour = dyn Fn(&Seen) -> (u16, Duration) + Send + Sync;

/// An HTTP handler on a free loopback port, run by its own runtime on its own thread; dropping
/// it stops the server and cancels whatever it is still doing.
struct Handler {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Handler {
    fn start(behaviour: impl Fn(&Seen) -> (u16, Duration) + Send + Sync + 'static) -> Handler {
        let behaviour: Arc<Behaviour> = Arc::new(behaviour);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (bound_tx, bound_rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                bound_tx.send(listener.local_addr().unwrap()).unwrap();
                let app = axum::Router::new().fallback(
                    move |uri: Uri, headers: HeaderMap, body: Bytes| {
                        let behaviour = Arc::clone(&behaviour);
                        async move {
                            let seen = Seen {
                                headers: &headers,
                                uri: &uri,
                                body: &body,
                                payload: serde_json::from_slice(&body).unwrap_or(Value::Null),
                            };
                            let (status, delay) = behaviour(&seen);
                            tokio::time::sleep(delay).await;
                            let status = StatusCode::from_u16(status).unwrap();
                            (status, format!("{{\"answer\":{}}}", status.as_u16()))
                        }
                    },
                );
                tokio::select! {
                    _ = axum::serve(listener, app) => {}
                    _ = stopped => {}
                }
            });
        });
        Handler {
            addr: bound_rx.recv().unwrap(),
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }
}

impl Drop for Handler {
    fn drop(&mut self) {
        let _ = self.stop.take().map(|stop| stop.send(()));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

const NOW: Duration = Duration::ZERO;

fn jerahook(args: &[&str]) -> Output {
    Command::new(assert_cmd::cargo::cargo_bin("jerahook"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// `test-handler --format json` with more arguments: the exit code and the records.
fn run_json(url: &str, more: &[&str]) -> (Option<i32>, Vec<Value>) {
    let mut args = vec!["test-handler", "--to", url, "--format", "json"];
    args.extend_from_slice(more);
    let output = jerahook(&args);
    let records = text(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON record per line"))
        .collect();
    (output.status.code(), records)
}

/// The names of the cases `--list` gives for these selection arguments.
fn listed(more: &[&str]) -> Vec<String> {
    let mut args = vec!["test-handler", "--list"];
    args.extend_from_slice(more);
    let output = jerahook(&args);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    text(&output.stdout).lines().map(str::to_string).collect()
}

fn failed(records: &[Value]) -> BTreeSet<String> {
    records
        .iter()
        .filter(|record| record["passed"] == false)
        .map(|record| record["case"].as_str().unwrap().to_string())
        .collect()
}

fn with_variant(names: &[String], variant: &str) -> BTreeSet<String> {
    names
        .iter()
        .filter(|name| name.ends_with(&format!("/{variant}")))
        .cloned()
        .collect()
}

#[test]
fn a_handler_that_takes_everything_passes_every_case() {
    let handler = Handler::start(|_| (200, NOW));
    let (code, records) = run_json(&handler.url(), &[]);
    assert_eq!(code, Some(0));
    let names: Vec<&str> = records
        .iter()
        .map(|r| r["case"].as_str().unwrap())
        .collect();
    assert_eq!(names, listed(&[]));
    assert!(records.iter().all(|r| r["passed"] == true));
    let burst = records
        .iter()
        .find(|r| r["case"] == "clients.create/burst")
        .unwrap();
    assert_eq!(burst["requests"].as_array().unwrap().len(), 8);
    let output = jerahook(&[
        "test-handler",
        "--to",
        &handler.url(),
        "--events",
        "clients.create",
    ]);
    assert_eq!(output.status.code(), Some(0));
    let stdout = text(&output.stdout);
    assert!(
        stdout
            .lines()
            .all(|line| line.starts_with("✓ clients.create/")),
        "{stdout}"
    );
    let stderr = text(&output.stderr);
    assert!(
        stderr.starts_with(&format!(
            "jerahook: {0} cases: {0} passed, 0 failed; ",
            stdout.lines().count()
        )),
        "{stderr}"
    );
}

#[test]
fn a_handler_failing_string_object_ids_fails_exactly_those_cases() {
    let handler = Handler::start(|seen| {
        let string = seen.payload["event"]["object_id"].is_string();
        (if string { 500 } else { 200 }, NOW)
    });
    let (code, records) = run_json(&handler.url(), &[]);
    assert_eq!(code, Some(1));
    assert_eq!(
        failed(&records),
        with_variant(&listed(&[]), "object-id-string")
    );
    assert_eq!(failed(&records).len(), 27);
    let failure = records.iter().find(|r| r["passed"] == false).unwrap();
    assert_eq!(failure["requests"][0]["status"], 500);
    assert_eq!(failure["requests"][0]["answer"], "{\"answer\":500}");

    let output = jerahook(&["test-handler", "--to", &handler.url()]);
    assert_eq!(output.status.code(), Some(1));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("✗ clients.create/object-id-string"),
        "{stdout}"
    );
    let stderr = text(&output.stderr);
    let cases = records.len();
    assert!(
        stderr.starts_with(&format!(
            "jerahook: {cases} cases: {} passed, 27 failed; ",
            cases - 27
        )),
        "{stderr}"
    );
    assert!(
        stderr.ends_with("\n  object-id-string  failed for 27 of 27 events\n"),
        "{stderr}"
    );
}

#[test]
fn a_handler_failing_on_an_empty_array_fails_the_data_empty_array_cases() {
    let handler = Handler::start(|seen| {
        let array = seen.payload["data"].is_array();
        (if array { 500 } else { 200 }, NOW)
    });
    let (code, records) = run_json(&handler.url(), &[]);
    assert_eq!(code, Some(1));
    let expected = with_variant(&listed(&[]), "data-empty-array");
    assert_eq!(expected.len(), 7);
    assert_eq!(failed(&records), expected);
}

#[test]
fn a_slow_handler_gets_a_timeout_verdict() {
    let handler = Handler::start(|seen| {
        let slow = seen.payload["event"]["events_id"] == "clients.update";
        (200, if slow { Duration::from_secs(5) } else { NOW })
    });
    let started = std::time::Instant::now();
    let (code, records) = run_json(
        &handler.url(),
        &[
            "--events",
            "clients.create,clients.update",
            "--case",
            "*/documented",
            "--timeout",
            "300ms",
        ],
    );
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "the timeout was not kept"
    );
    assert_eq!(code, Some(1));
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["passed"], true);
    let slow = &records[1]["requests"][0];
    assert_eq!(records[1]["case"], "clients.update/documented");
    assert_eq!(slow["status"], Value::Null);
    assert_eq!(slow["error"], "timeout");
    let latency = slow["latency_ms"].as_f64().unwrap();
    assert!((290.0..3_000.0).contains(&latency), "{latency}");
}

#[test]
fn a_handler_refusing_a_second_delivery_fails_the_redelivery_cases() {
    let seen_bodies: Mutex<BTreeSet<Vec<u8>>> = Mutex::default();
    let handler = Handler::start(move |seen| {
        let first = seen_bodies.lock().unwrap().insert(seen.body.to_vec());
        (if first { 200 } else { 409 }, NOW)
    });
    let selection = [
        "--events",
        "clients.create,importd.process_success,accounting.payments.delete",
    ];
    let (code, records) = run_json(&handler.url(), &selection);
    assert_eq!(code, Some(1));
    assert_eq!(
        failed(&records),
        with_variant(&listed(&selection), "redelivery")
    );
    let redelivery = records
        .iter()
        .find(|r| r["case"] == "clients.create/redelivery")
        .unwrap();
    let statuses: Vec<&Value> = redelivery["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|request| &request["status"])
        .collect();
    assert_eq!(statuses, [200, 409]);
    let output = jerahook(&[
        "test-handler",
        "--to",
        &handler.url(),
        "--case",
        "clients.update/redelivery",
    ]);
    let line = text(&output.stdout);
    assert!(
        line.starts_with("✗ clients.update/redelivery  200 409 "),
        "{line}"
    );
    assert!(
        line.trim_end()
            .ends_with("request 2 of 2: {\"answer\":409}"),
        "{line}"
    );
}

#[test]
fn nothing_listening_exits_2_at_once() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/hook?token=s3cret");
    let output = jerahook(&["test-handler", "--to", &url]);
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    let stderr = text(&output.stderr);
    assert!(
        stderr.starts_with(&format!(
            "jerahook: http://127.0.0.1:{port}/hook?…: the handler cannot be reached: "
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("s3cret"), "{stderr}");
}

/// A listener on a free loopback port that takes connections and never answers; stopped,
/// with the connections it holds, when dropped.
struct Silent {
    addr: SocketAddr,
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Silent {
    fn start() -> Silent {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut held = Vec::new();
            while !stopped.load(std::sync::atomic::Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => held.push(stream),
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Silent {
            addr,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Silent {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[test]
fn a_handler_that_never_answers_stops_the_run_after_three_cases() {
    let silent = Silent::start();
    let port = silent.addr.port();
    let url = format!("http://vcs:pa55@127.0.0.1:{port}/hook?token=s3cret");
    let started = std::time::Instant::now();
    let output = jerahook(&["test-handler", "--to", &url, "--timeout", "200ms"]);
    let elapsed = started.elapsed();
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(2), "{stdout}{stderr}");
    assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");
    assert_eq!(stdout.lines().count(), 3, "{stdout}");
    assert!(
        stdout.lines().all(|line| line.contains("timeout")),
        "{stdout}"
    );
    let last = stderr.lines().last().unwrap_or_default();
    assert_eq!(
        last,
        format!(
            "jerahook: http://…@127.0.0.1:{port}/hook?…: the handler is not answering: 3 cases in \
             a row got no answer (timeout); stopped after 3 of 286 cases"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("3 cases: 0 passed, 3 failed"), "{stderr}");
    assert!(
        !stderr.contains("s3cret") && !stderr.contains("pa55"),
        "{stderr}"
    );
}

#[test]
fn max_time_stops_the_run_and_reports_the_cases_done() {
    let handler = Handler::start(|_| (200, Duration::from_millis(300)));
    let started = std::time::Instant::now();
    let output = jerahook(&[
        "test-handler",
        "--to",
        &handler.url(),
        "--max-time",
        "1s",
        "--format",
        "json",
    ]);
    let elapsed = started.elapsed();
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        (Duration::from_millis(900)..Duration::from_secs(4)).contains(&elapsed),
        "took {elapsed:?}"
    );
    let done = stdout.lines().count();
    assert!((1..4).contains(&done), "{stdout}");
    assert_eq!(
        stderr.trim_end(),
        format!(
            "jerahook: --max-time 1s: ran out after {done} of 286 cases; the rest were not run"
        )
    );
    let output = jerahook(&["test-handler", "--to", &handler.url(), "--max-time", "soon"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("--max-time soon: expected a duration"));
}

#[test]
fn a_closed_reader_keeps_the_exit_code_of_the_cases_done() {
    // A little slow, so the reader is gone before the second line is written.
    let handler = Handler::start(|_| (500, Duration::from_millis(5)));
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("jerahook"))
        .args(["test-handler", "--to", &handler.url()])
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert!(first.starts_with("✗ "), "{first}");
    drop(stdout);
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("still running after the reader left");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(
        status.code(),
        Some(1),
        "a failed case already seen is not a pass"
    );
}

#[test]
fn junit_output_is_xml_with_matching_counts() {
    let handler = Handler::start(|seen| {
        let string = seen.payload["event"]["object_id"].is_string();
        (if string { 500 } else { 200 }, NOW)
    });
    let selection = ["--events", "clients.create,clients.update"];
    let output = jerahook(&[
        "test-handler",
        "--to",
        &handler.url(),
        "--format",
        "junit",
        selection[0],
        selection[1],
    ]);
    assert_eq!(output.status.code(), Some(1));
    let xml = text(&output.stdout);
    let document = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let root = document.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let cases = listed(&selection);
    assert_eq!(
        root.attribute("tests"),
        Some(cases.len().to_string().as_str())
    );
    assert_eq!(root.attribute("failures"), Some("2"));
    let suites: Vec<_> = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    let names: Vec<&str> = suites.iter().filter_map(|s| s.attribute("name")).collect();
    assert_eq!(names, ["clients.create", "clients.update"]);
    let mut by_suite = BTreeMap::new();
    for suite in &suites {
        let testcases: Vec<_> = suite
            .children()
            .filter(|n| n.has_tag_name("testcase"))
            .collect();
        assert_eq!(
            suite.attribute("tests"),
            Some(testcases.len().to_string().as_str())
        );
        assert_eq!(suite.attribute("failures"), Some("1"));
        for testcase in testcases {
            assert_eq!(testcase.attribute("classname"), suite.attribute("name"));
            let failure = testcase.children().find(|n| n.has_tag_name("failure"));
            if let Some(failure) = failure {
                assert_eq!(testcase.attribute("name"), Some("object-id-string"));
                assert!(
                    failure
                        .attribute("message")
                        .unwrap()
                        .starts_with("500 after ")
                );
            }
            *by_suite
                .entry(suite.attribute("name").unwrap())
                .or_insert(0) += 1;
        }
    }
    assert_eq!(by_suite.values().sum::<usize>(), cases.len());
}

#[test]
fn headers_and_url_tokens_reach_the_handler() {
    let handler = Handler::start(|seen| {
        let bearer = seen
            .headers
            .get("authorization")
            .is_some_and(|v| v == "Bearer t0k");
        let query = seen.uri.query() == Some("token=t0k");
        let json = seen
            .headers
            .get("content-type")
            .is_some_and(|v| v == "application/json");
        (if (bearer || query) && json { 200 } else { 401 }, NOW)
    });
    let selection = ["--case", "clients.create/documented"];
    let (code, records) = run_json(&handler.url(), &selection);
    assert_eq!(
        (code, records[0]["requests"][0]["status"].clone()),
        (Some(1), 401.into())
    );
    let (code, _) = run_json(
        &handler.url(),
        &[
            selection[0],
            selection[1],
            "-H",
            "Authorization: Bearer t0k",
        ],
    );
    assert_eq!(code, Some(0));
    let (code, _) = run_json(&format!("{}?token=t0k", handler.url()), &selection);
    assert_eq!(code, Some(0));
}

#[test]
fn out_of_range_and_unknown_options_exit_2_naming_them() {
    let cases = [
        (
            &["--to", "http://127.0.0.1:9/", "--timeout", "0s"][..],
            "--timeout 0s: out of range; expected a duration from 1ms to 1h",
        ),
        (
            &["--to", "http://127.0.0.1:9/", "--timeout", "soon"],
            "--timeout soon: expected a duration",
        ),
        (
            &["--to", "http://127.0.0.1:9/", "--concurrency", "0"],
            "--concurrency <N>",
        ),
        (
            &["--to", "http://127.0.0.1:9/", "--concurrency", "300"],
            "from 1 to 256",
        ),
        (
            &["--list", "--case", "*/nope"],
            "--case */nope: matches no case",
        ),
        (
            &["--list", "--events", "clients.updat"],
            "did you mean \"clients.update\"",
        ),
        (&[], "--to <URL>"),
    ];
    for (args, message) in cases {
        let mut all = vec!["test-handler"];
        all.extend_from_slice(args);
        let output = jerahook(&all);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = text(&output.stderr);
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
}

#[test]
fn written_cases_are_valid_payloads_laid_out_by_event_and_variant() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let output = jerahook(&["test-handler", "--write", out]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let names = listed(&[]);
    assert_eq!(
        text(&output.stderr),
        format!("wrote {} cases to {out}\n", names.len())
    );
    for name in &names {
        let (event, variant) = name.split_once('/').unwrap();
        let several = matches!(variant, "redelivery" | "burst");
        let file = dir.path().join(event).join(format!(
            "{variant}.{}",
            if several { "ndjson" } else { "json" }
        ));
        assert!(file.is_file(), "{}", file.display());
    }
    let burst = std::fs::read_to_string(dir.path().join("clients.create/burst.ndjson")).unwrap();
    assert_eq!(burst.lines().count(), 8);
    let output = jerahook(&["validate", "--quiet", out]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
}

/// `python3 examples/echo_handler.py --port 0` and more; killed when dropped.
struct Example {
    child: Child,
    url: String,
}

impl Example {
    fn start(more: &[&str]) -> Example {
        let mut child = Command::new("python3")
            .arg(root().join("examples/echo_handler.py"))
            .args(["--port", "0"])
            .args(more)
            .stderr(Stdio::piped())
            .spawn()
            .expect("python3 runs the example handler");
        let mut first = String::new();
        BufReader::new(child.stderr.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let url = first
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("no address in {first:?}"))
            .to_string();
        Example { child, url }
    }
}

impl Drop for Example {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_example_echo_handler_passes_and_its_data_id_bug_is_found() {
    let echo = Example::start(&[]);
    let (code, records) = run_json(&echo.url, &[]);
    assert_eq!(code, Some(0), "{:?}", failed(&records));
    let buggy = Example::start(&["--read-data-id"]);
    let (code, records) = run_json(&buggy.url, &[]);
    assert_eq!(code, Some(1));
    assert_eq!(
        failed(&records),
        with_variant(&listed(&[]), "data-empty-array")
    );
    let failure = records.iter().find(|r| r["passed"] == false).unwrap();
    let answer = failure["requests"][0]["answer"].as_str().unwrap();
    assert!(
        answer.starts_with("{\"error\": \"AttributeError: 'list' object has no attribute"),
        "{answer}"
    );
}

/// The "Testing your handler" section of README.md.
fn readme_section() -> String {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme
        .find("## Testing your handler\n")
        .expect("README has a section \"Testing your handler\"");
    let rest = &readme[start..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |at| at + 3);
    rest[..end].to_string()
}

/// Output with what changes from run to run made equal: dates, times of day and durations
/// become placeholders, and runs of spaces (which align the latencies) one space.
fn normalised(text: &str) -> String {
    let fits = |chars: &[char], shape: &str| {
        chars.len() >= shape.len()
            && shape.chars().zip(chars).all(|(s, c)| match s {
                'd' => c.is_ascii_digit(),
                s => s == *c,
            })
    };
    let mut lines = Vec::new();
    for line in text.lines() {
        let mut words = Vec::new();
        for word in line.split_whitespace() {
            let number = word.trim_end_matches([',', ')']);
            let value = number
                .strip_suffix("ms")
                .or_else(|| number.strip_suffix('s'))
                .filter(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_digit() || c == '.'));
            if value.is_some() {
                words.push("<duration>".to_string());
                continue;
            }
            let chars: Vec<char> = word.chars().collect();
            let mut out = String::new();
            let mut at = 0;
            while at < chars.len() {
                if fits(&chars[at..], "dddd-dd-dd") {
                    out.push_str("<date>");
                    at += 10;
                } else if fits(&chars[at..], "dd:dd:dd") {
                    out.push_str("<time>");
                    at += 8;
                    if chars.get(at) == Some(&'.') {
                        at += 1;
                        while chars.get(at).is_some_and(char::is_ascii_digit) {
                            at += 1;
                        }
                    }
                } else {
                    out.push(chars[at]);
                    at += 1;
                }
            }
            words.push(out);
        }
        lines.push(words.join(" "));
    }
    lines.join("\n")
}

#[test]
fn normalising_keeps_what_matters() {
    assert_eq!(
        normalised(
            "✓ a/b   200    9.1ms  {\"dt\": \"2026-11-27 09:26:03+0000\"\njerahook: p50 2.6ms, max 1.02s"
        ),
        "✓ a/b 200 <duration> {\"dt\": \"<date> <time>+0000\"\njerahook: p50 <duration> max <duration>"
    );
    assert_eq!(
        normalised("\"2026-11-27T09:26:03.773061+00:00\""),
        "\"<date>T<time>+00:00\""
    );
    assert_ne!(normalised("✓ a 200"), normalised("✗ a 500"));
}

#[test]
fn readme_transcripts_are_what_the_example_handler_gets() {
    let section = readme_section();
    let mut checked = 0;
    for block in section.split("```console\n").skip(1) {
        let block = &block[..block.find("```").unwrap()];
        let mut lines = block.lines().peekable();
        let mut handler: Option<(Example, String)> = None;
        while let Some(line) = lines.next() {
            let mut expected = Vec::new();
            while let Some(next) = lines.next_if(|next| !next.starts_with("$ ")) {
                expected.push(next);
            }
            if let Some(command) = line.strip_prefix("$ python3 examples/echo_handler.py ") {
                let words: Vec<&str> = command.split_whitespace().collect();
                let port = words[words.iter().position(|w| *w == "--port").unwrap() + 1];
                let more: Vec<&str> = words
                    .iter()
                    .copied()
                    .filter(|w| !["--port", port, "&"].contains(w))
                    .collect();
                let example = Example::start(&more);
                assert_eq!(expected, [format!("listening on http://127.0.0.1:{port}/")]);
                handler = Some((example, format!("http://127.0.0.1:{port}/")));
            } else if let Some(command) = line.strip_prefix("$ jerahook ") {
                let (example, shown) = handler.as_ref().expect("a handler started before");
                let command = command.replace(shown.as_str(), &example.url);
                let args: Vec<&str> = command
                    .split_whitespace()
                    .map(|word| word.trim_matches('\''))
                    .collect();
                let output = jerahook(&args);
                let actual = format!("{}{}", text(&output.stdout), text(&output.stderr));
                assert_eq!(
                    normalised(&actual),
                    normalised(&expected.join("\n")),
                    "README transcript `jerahook {command}` is out of date"
                );
                checked += 1;
            } else {
                panic!("README transcript line not understood: {line}");
            }
        }
    }
    assert_eq!(checked, 2);
}

#[test]
fn readme_case_table_matches_the_cases() {
    let section = readme_section();
    let handler = Handler::start(|_| (200, NOW));
    let (code, records) = run_json(&handler.url(), &[]);
    assert_eq!(code, Some(0));
    // variant → (events, requests per case)
    let mut actual: BTreeMap<String, (usize, BTreeSet<usize>)> = BTreeMap::new();
    for record in &records {
        let entry = actual
            .entry(record["variant"].as_str().unwrap().to_string())
            .or_default();
        entry.0 += 1;
        entry.1.insert(record["requests"].as_array().unwrap().len());
    }
    let mut documented = BTreeMap::new();
    for row in section.lines().filter(|line| line.starts_with("| `")) {
        let cells: Vec<&str> = row.trim_matches('|').split('|').map(str::trim).collect();
        let variant = cells[0].trim_matches('`').to_string();
        let events: usize = cells[cells.len() - 2].parse().unwrap();
        let requests: usize = cells[cells.len() - 1].parse().unwrap();
        documented.insert(variant, (events, BTreeSet::from([requests])));
    }
    assert_eq!(documented, actual);
    let requests: usize = records
        .iter()
        .map(|r| r["requests"].as_array().unwrap().len())
        .sum();
    let sentence = format!("That is {} cases and {requests} requests", records.len());
    assert!(section.contains(&sentence), "README should say: {sentence}");
}

#[test]
fn the_summary_names_the_events_that_fail_under_each_variant() {
    let handler = Handler::start(|seen| {
        let import = seen.payload["event"]["events_id"]
            .as_str()
            .is_some_and(|id| id.starts_with("importd."));
        (if import { 500 } else { 200 }, NOW)
    });
    let output = jerahook(&[
        "test-handler",
        "--to",
        &handler.url(),
        "--case",
        "*/documented",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.ends_with(
            "\n  documented  failed for 2 of 27 events: importd.process_success, importd.process_failed\n"
        ),
        "{stderr}"
    );
}

#[test]
fn answers_slower_than_slow_are_named_in_the_summary() {
    let handler = Handler::start(|_| (200, Duration::from_millis(60)));
    let case = ["--case", "clients.create/documented"];
    let output = jerahook(&[
        "test-handler",
        "--to",
        &handler.url(),
        case[0],
        case[1],
        "--slow",
        "20ms",
    ]);
    assert_eq!(output.status.code(), Some(0), "slow is no failure");
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("  1 case answered slower than --slow 20ms: clients.create/documented ("),
        "{stderr}"
    );
    let output = jerahook(&["test-handler", "--to", &handler.url(), case[0], case[1]]);
    assert!(
        !text(&output.stderr).contains("slower"),
        "the default is 5s"
    );
    let output = jerahook(&["test-handler", "--to", &handler.url(), "--slow", "soon"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("--slow soon"),
        "{}",
        text(&output.stderr)
    );
}
