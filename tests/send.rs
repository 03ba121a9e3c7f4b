//! `send` against a small handler on loopback: what it lets the user set, and how it shows the
//! handler's answer.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};

use assert_cmd::Command;
use serde_json::Value;

/// A handler that answers every request with `body`, until the test ends.
fn handler(body: &'static str) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
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
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    addr
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
