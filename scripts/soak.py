#!/usr/bin/env python3
"""A bounded soak test of `jerahook listen --save --forward-to --ui` on loopback.

    scripts/soak.py [--binary target/release/jerahook] [--minutes 10] [--seed N]
                    [--rss-limit-mb 350] [--workdir DIR] [--keep]

It starts a stand-in handler (answers 200 and, on request, other statuses, sometimes slowly)
and `jerahook listen` in front of it, then for --minutes drives mixed traffic from several
client threads: valid payloads of every event in samples/ (each with its own object id, sent
compact, pretty, with CRLF and tabs, with a byte order mark, or ASCII-escaped), payloads that
fail their schema, refused requests (not JSON, wrong method, wrong path, wrong token, over
--max-body, a stalled body), large payloads (up to 900 KB, some chunked), slow clients that send
the body in pieces over seconds, clients that half-close after the request, readers of the
inspector's API (/api/requests, /api/requests/N, /api/events held open, /api/info) and
download loops on /api/capture.

Faults: the handler is killed (SIGKILL) and restarted on the same port every 30 s; the save
file's disk (a small tmpfs, when running as root and mount works) is filled for 10 s; listen
gets one SIGTERM in the middle of the run and is started again on the same --save file (the
second time with --reject-invalid).

Every POST's exact bytes (as SHA-256) and its answer are recorded client side. At the end it
checks: every payload answered 2xx is in the save file exactly once, as its compact form
(whitespace outside strings removed, byte order mark dropped, every other byte as sent; the
expected line is built independently, with Python's json module); nothing answered otherwise is
in it (payloads whose answer was lost, such as at the SIGTERM, are counted as "unknown fate" and
may be in it once); the file holds whole lines only, each one a payload that was sent; the
first listen's lines are still there after the restart; refused requests got their status;
/api/capture only returns payloads that were sent; listen's peak resident memory stayed under
--rss-limit-mb; listen stopped by itself at each SIGTERM with exit code 0; no process is left.
It prints a summary and exits 0 when every check passed, 1 otherwise (2 when it could not
start). The work directory (save file, listen's output, the record of every POST in
posts.ndjson) is kept when a check failed or with --keep.
"""

import argparse
import ctypes
import errno
import hashlib
import http.client
import json
import os
import queue
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HANDLER = r"""
import http.server, json, sys, time

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                body += self.rfile.read(size)
                self.rfile.readline()
        else:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        delay = int(self.headers.get("X-Soak-Delay-Ms") or 0)
        status = int(self.headers.get("X-Soak-Status") or 200)
        if delay:
            time.sleep(delay / 1000)
        answer = b"" if status == 204 else json.dumps({"received": len(body)}).encode()
        self.send_response(status)
        if 300 <= status < 400:
            self.send_header("Location", "http://127.0.0.1:9/elsewhere")
        self.send_header("Content-Type", "application/json")
        if status != 204:
            self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

Server(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
"""

PATH = "/vcs"
MAX_BODY = 1 << 20  # --max-body 1MiB
BODY_TIMEOUT = 5.0  # --body-timeout 5s
GRACE = 10.0  # listen's default --shutdown-grace
HANDLER_EVERY = 30.0
HANDLER_DOWN = 2.0
DISK_FULL_FOR = 10.0
CLIENT_TIMEOUT = 45.0  # above listen's 30 s --forward-timeout
MAX_REQUESTS_PER_THREAD = 200_000

# Handler answers asked for through X-Soak-Status, with their weights.
HANDLER_STATUSES = [(200, 85), (201, 3), (202, 2), (204, 3), (500, 3), (503, 2), (409, 1), (302, 1)]
# Refused kinds and the status listen must give them.
REFUSED_STATUS = {
    "not-json": 400,
    "unauthorized": 401,
    "wrong-path": 404,
    "wrong-method": 405,
    "stalled-body": 408,
    "too-large": 413,
    "too-large-chunked": 413,
}
FORMS = ["compact", "compact", "compact", "pretty", "crlf-tabs", "bom", "ascii"]

_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"?|[ \t\r\n]+|[^" \t\r\n]+', re.S)

try:
    _prctl = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):
    _prctl = None


def die_with_parent():
    """In the child before exec: a SIGKILL when this script dies, even by SIGKILL."""
    if _prctl is not None:
        _prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def sha(data):
    return hashlib.sha256(data).hexdigest()


def regex_compact(body):
    """Whitespace outside strings removed, a leading BOM dropped (for bodies not built here)."""
    if body.startswith(b"\xef\xbb\xbf"):
        body = body[3:]
    return b"".join(token for token in _TOKEN.findall(body) if token[:1] not in b" \t\r\n")


def proc_status(pid, field):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def children_of(pid):
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry))
    return found


def free_port_below_ephemeral(rng):
    """A free port outside the kernel's ephemeral range, so no outgoing connection can take it
    while the handler is down (and a connect to it can never meet itself)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as ports:
            low = int(ports.read().split()[0])
    except OSError:
        low = 32768
    candidates = list(range(max(1025, low - 12000), max(1026, low - 500)))
    rng.shuffle(candidates)
    for port in candidates[:200]:
        probe = socket.socket()
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            probe.close()
    raise RuntimeError("no free port for the handler")


class Post:
    """One request with a body, as the client saw it."""

    __slots__ = ("n", "kind", "event", "size", "sent", "line", "instance", "outcome", "status",
                 "t_sent", "t_done", "asked", "error")

    def __init__(self, n, kind, event, body, line, asked):
        self.n = n
        self.kind = kind
        self.event = event
        self.size = len(body)
        self.sent = sha(body)
        self.line = sha(line)
        self.asked = asked  # the handler status asked for, for payloads that are forwarded
        self.instance = None
        self.outcome = "pending"  # status, not-connected, unknown
        self.status = None
        self.t_sent = None
        self.t_done = None
        self.error = None


class RawAnswer(Exception):
    pass


class Soak:
    def __init__(self, args):
        self.args = args
        self.seed = args.seed
        self.duration = args.minutes * 60.0
        self.rng = random.Random(self.seed)
        self.token = f"soak-{self.seed}"
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.posts = []
        self.lines = {}  # expected line sha -> [Post]
        self.sent = set()  # sha of every body sent
        self.next_id = 1_000_000
        self.target = None  # (listen port, page port, instance number) or None
        self.listen = None
        self.listen_pid = None
        self.instances = []  # dicts describing each listen run
        self.handler = None
        self.handlers = []
        self.handler_port = None
        self.windows = []  # (name, start, end) in monotonic time
        self.failures = []
        self.notes = []
        self.peak_rss = 0
        self.peak_hwm = 0
        self.listen_children = set()
        self.api = {"lists": 0, "details": 0, "details_gone": 0, "bodies": 0, "bodies_unknown": 0,
                    "infos": 0, "events_streams": 0, "events_seen": 0, "captures": 0,
                    "capture_lines": 0, "capture_unknown": 0, "api_errors": 0, "statuses": {}}
        self.disk = None  # tmpfs mount point, when there is one
        self.disk_skipped = None
        self.disk_full = None  # (start, end, bytes filled)
        self.sigterm = None
        self.handler_restarts = 0
        self.samples = {}
        self.workdir = None
        self.save = None
        self.t0 = None
        self.traffic_took = 0.0

    # ---- set-up -------------------------------------------------------------------------

    def load_samples(self):
        root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "samples")
        for name in sorted(os.listdir(root)):
            if name.endswith(".json"):
                with open(os.path.join(root, name), encoding="utf-8") as sample:
                    payload = json.load(sample)
                self.samples[payload["event"]["events_id"]] = payload
        if len(self.samples) != 27:
            raise RuntimeError(f"expected the 27 events in samples/, found {len(self.samples)}")

    def uid(self):
        with self.lock:
            self.next_id += 1
            return self.next_id

    def payload(self, rng, event=None, invalid=None, pad=0):
        """A payload object for `event` with its own object id; `invalid` breaks its schema;
        `pad` adds about that many bytes of strings under data."""
        event = event or rng.choice(sorted(self.samples))
        payload = json.loads(json.dumps(self.samples[event]))
        head = payload["event"]
        uid = self.uid()
        head["object_id"] = str(uid) if isinstance(head.get("object_id"), str) else uid
        head["dt"] = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
        if invalid == "bad-date":
            head["dt"] = "2025-13-45T00:00:00+00:00"
        elif invalid == "no-date":
            del head["dt"]
        elif invalid == "object-id":
            head["object_id"] = f"{uid}abc"
        elif invalid == "data-string":
            payload["data"] = f"data {uid}"
        if pad:
            if not isinstance(payload["data"], dict):
                payload["data"] = {}
            row = 'row %d: caf\u00e9 \u00fc "quoted" back\\slash tab\t and  two  spaces \u2603 '
            rows, size, i = [], 0, 0
            while size < pad:
                text = row % i + "x" * rng.randrange(20, 200)
                rows.append({"n": i, "text": text, "amount": rng.randrange(10 ** 6) / 100})
                size += len(text.encode()) + 40
                i += 1
            payload["data"]["soak_rows"] = rows
        return payload

    def encode(self, payload, form):
        """The body to send in `form`, and the line listen must save for it."""
        ascii_only = form == "ascii"
        line = json.dumps(payload, ensure_ascii=ascii_only, separators=(",", ":")).encode()
        if form == "compact":
            body = line
        elif form == "pretty":
            body = json.dumps(payload, ensure_ascii=False, indent=2).encode() + b"\n"
        elif form == "crlf-tabs":
            body = json.dumps(payload, ensure_ascii=False, indent="\t").replace("\n", "\r\n")
            body = (" \r\n" + body + "\r\n\t ").encode()
        elif form == "bom":
            body = b"\xef\xbb\xbf" + json.dumps(payload, ensure_ascii=False, indent=1).encode()
        else:  # ascii: \u escapes kept as sent
            body = json.dumps(payload, ensure_ascii=True, separators=(", ", ": ")).encode()
        return body, line

    def self_test(self):
        """The generator's bodies: valid ones are valid, broken ones invalid (by `validate`),
        and the expected lines are what the compaction rule gives."""
        rng = random.Random(0)
        cases = []
        for event in sorted(self.samples):
            cases.append((self.payload(rng, event), True))
        for invalid in ("bad-date", "no-date", "object-id", "data-string"):
            for event in ("clients.create", "accounting.charges.delete", "importd.process_success"):
                cases.append((self.payload(rng, event, invalid=invalid), False))
        cases.append((self.payload(rng, "clients.update", pad=20_000), True))
        for payload, _ in cases[:5]:
            for form in FORMS:
                body, line = self.encode(payload, form)
                assert regex_compact(body) == line, (form, body[:200])
        path = os.path.join(self.workdir, "self-test.ndjson")
        with open(path, "wb") as out:
            for payload, _ in cases:
                out.write(self.encode(payload, "compact")[0] + b"\n")
        run = subprocess.run([self.args.binary, "validate", path, "--format", "json"],
                             capture_output=True, timeout=60)
        records = [json.loads(line) for line in run.stdout.splitlines() if line.strip()]
        if len(records) != len(cases):
            raise RuntimeError(f"validate gave {len(records)} records for {len(cases)} payloads: "
                               f"{run.stderr.decode(errors='replace')[:500]}")
        for record, (payload, valid) in zip(records, cases):
            if bool(record.get("valid")) != valid:
                raise RuntimeError(f"generator: {payload['event']} should be "
                                   f"{'valid' if valid else 'invalid'}: {json.dumps(record)[:400]}")

    def setup_disk(self):
        self.save = os.path.join(self.workdir, "capture.ndjson")
        if os.geteuid() != 0:
            self.disk_skipped = "not running as root: cannot mount a tmpfs"
            return
        mount = os.path.join(self.workdir, "disk")
        os.makedirs(mount, exist_ok=True)
        run = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={self.args.disk_mb}m", "tmpfs",
                              mount], capture_output=True, text=True, timeout=30)
        if run.returncode != 0:
            self.disk_skipped = f"mount -t tmpfs failed: {run.stderr.strip() or run.returncode}"
            os.rmdir(mount)
            return
        self.disk = mount
        self.save = os.path.join(mount, "capture.ndjson")

    def teardown_disk(self, keep_file):
        if not self.disk:
            return
        if keep_file and os.path.exists(self.save):
            shutil.copy(self.save, os.path.join(self.workdir, "capture.ndjson"))
        for flags in ([], ["-l"]):
            if subprocess.run(["umount", *flags, self.disk], capture_output=True).returncode == 0:
                break
        try:
            os.rmdir(self.disk)
        except OSError:
            pass
        self.disk = None

    # ---- processes ----------------------------------------------------------------------

    def start_handler(self):
        handler = subprocess.Popen([sys.executable, "-c", HANDLER, str(self.handler_port)],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=open(os.path.join(self.workdir, "handler.err"), "ab"),
                                   preexec_fn=die_with_parent, start_new_session=True)
        self.handler = handler
        self.handlers.append(handler)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if handler.poll() is not None:
                raise RuntimeError(f"the handler exited with {handler.returncode} at start "
                                   f"(see {self.workdir}/handler.err)")
            try:
                socket.create_connection(("127.0.0.1", self.handler_port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the handler did not start listening within 10 s")

    def kill_handler(self):
        handler = self.handler
        if handler and handler.poll() is None:
            handler.kill()
            handler.wait(timeout=10)

    def start_listen(self, reject_invalid):
        number = len(self.instances) + 1
        command = [self.args.binary, "listen", "--addr", "127.0.0.1:0", "--path", PATH,
                   "--token", self.token, "--save", self.save,
                   "--forward-to", f"http://127.0.0.1:{self.handler_port}/hook",
                   "--ui", "127.0.0.1:0", "--max-body", "1MiB", "--body-timeout", "5s"]
        if reject_invalid:
            command.append("--reject-invalid")
        out = open(os.path.join(self.workdir, f"listen-{number}.out"), "wb")
        listen = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out,
                                  stderr=subprocess.PIPE, preexec_fn=die_with_parent,
                                  start_new_session=True)
        out.close()
        lines = queue.Queue()
        err_path = os.path.join(self.workdir, f"listen-{number}.err")

        def copy_stderr():
            with open(err_path, "wb") as err:
                for line in iter(listen.stderr.readline, b""):
                    err.write(line)
                    err.flush()
                    lines.put(line)
            lines.put(None)

        copier = threading.Thread(target=copy_stderr, daemon=True)
        copier.start()
        banner = ""
        deadline = time.monotonic() + 30
        while "Ctrl-C stops" not in banner:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                line = None
            if line is None:
                listen.kill()
                listen.wait()
                raise RuntimeError(f"listen did not print its banner; its stderr:\n{banner}")
            banner += line.decode(errors="replace")
        port = int(banner.split("listening on http://")[1].split("/")[0].rsplit(":", 1)[1])
        page = int(banner.split("inspector page on http://")[1].split("/")[0].rsplit(":", 1)[1])
        self.instances.append({"number": number, "pid": listen.pid, "port": port, "page": page,
                               "reject_invalid": reject_invalid, "started": time.monotonic(),
                               "process": listen, "copier": copier, "hwm": 0, "exit": None,
                               "stop_took": None, "stderr": err_path})
        self.listen = listen
        self.listen_pid = listen.pid
        with self.lock:
            self.target = (port, page, number)

    def stop_listen(self, why):
        """SIGTERM and wait for listen to stop by itself; SIGKILL after grace + 10 s."""
        instance = self.instances[-1]
        listen = instance["process"]
        instance["hwm"] = max(instance["hwm"], proc_status(listen.pid, "VmHWM"))
        self.peak_hwm = max(self.peak_hwm, instance["hwm"])
        started = time.monotonic()
        listen.send_signal(signal.SIGTERM)
        try:
            listen.wait(timeout=GRACE + 10)
        except subprocess.TimeoutExpired:
            self.failures.append(f"listen #{instance['number']} did not stop within "
                                 f"{GRACE + 10:.0f} s of SIGTERM ({why}): killed")
            listen.kill()
            listen.wait()
        instance["stop_took"] = time.monotonic() - started
        instance["exit"] = listen.returncode
        instance["copier"].join(timeout=5)
        with self.lock:
            self.target = None
        self.listen_pid = None

    # ---- faults -------------------------------------------------------------------------

    def restart_handler(self):
        start = time.monotonic()
        self.kill_handler()
        time.sleep(HANDLER_DOWN)
        self.start_handler()
        self.windows.append(("handler-down", start, time.monotonic()))
        self.handler_restarts += 1

    def fill_disk(self):
        start = time.monotonic()
        filler = os.path.join(self.disk, "filler")
        filled = 0
        try:
            with open(filler, "wb", buffering=0) as out:
                for chunk in (1 << 20, 4096, 64):
                    block = b"\0" * chunk
                    while True:
                        try:
                            filled += out.write(block)
                        except OSError as error:
                            if error.errno != errno.ENOSPC:
                                raise
                            break
            end = start + DISK_FULL_FOR
            while time.monotonic() < end and not self.stop.is_set():
                time.sleep(0.1)
        finally:
            os.unlink(filler)
        self.disk_full = (start, time.monotonic(), filled)
        self.windows.append(("disk-full", start, time.monotonic()))

    def restart_listen(self):
        start = time.monotonic()
        self.stop_listen("restart in the middle of the run")
        size = os.path.getsize(self.save)
        with open(self.save, "rb") as saved:
            prefix = sha(saved.read(size))
        first = self.instances[-1]
        self.start_listen(reject_invalid=True)
        self.sigterm = {"start": start, "end": time.monotonic(), "size": size, "prefix": prefix,
                        "lines": None, "exit": first["exit"], "stop_took": first["stop_took"]}
        self.windows.append(("listen-restart", start, time.monotonic()))

    def schedule(self):
        """(time from start, action) for the run, the faults kept apart from each other."""
        def clear_of_handler(t):
            while not 4 <= t % HANDLER_EVERY <= HANDLER_EVERY - DISK_FULL_FOR - 2:
                t += 1
            return t

        plan = []
        t = HANDLER_EVERY
        while t < self.duration - 5:
            plan.append((t, "handler"))
            t += HANDLER_EVERY
        disk_at = clear_of_handler(max(5.0, self.duration * 0.25))
        if self.disk and disk_at + DISK_FULL_FOR < self.duration - 5:
            plan.append((disk_at, "disk"))
        elif self.disk:
            self.disk_skipped = "the run is too short for the disk-full window"
        term_at = clear_of_handler(max(disk_at + DISK_FULL_FOR + 3, self.duration * 0.55))
        if term_at < self.duration - 3:
            plan.append((term_at, "sigterm"))
        else:
            plan.append((self.duration * 0.6, "sigterm"))
        return sorted(plan)

    # ---- clients ------------------------------------------------------------------------

    def current(self):
        with self.lock:
            return self.target

    def register(self, kind, body, line, asked=None, event=None):
        post = Post(0, kind, event, body, line, asked)
        with self.lock:
            post.n = len(self.posts)
            self.posts.append(post)
            self.lines.setdefault(post.line, []).append(post)
            self.sent.add(post.sent)
        return post

    def auth(self, rng, path):
        """The token, in the query or as a bearer header."""
        if rng.random() < 0.5:
            return f"{path}?token={self.token}", {}
        return path, {"Authorization": f"Bearer {self.token}"}

    def handler_headers(self, rng):
        total = sum(weight for _, weight in HANDLER_STATUSES)
        pick = rng.uniform(0, total)
        for status, weight in HANDLER_STATUSES:
            pick -= weight
            if pick <= 0:
                break
        headers = {"Content-Type": "application/json", "X-Soak-Status": str(status)}
        if rng.random() < 0.1:
            headers["X-Soak-Delay-Ms"] = str(rng.randrange(150, 600))
        return headers, status

    def http_post(self, post, conn_box, listen, method, target, body, headers, chunked=False):
        """Sends one request over the thread's kept-alive connection (a new one when needed)
        and records what came back."""
        port, _, post.instance = listen
        conn = conn_box.get("conn")
        if conn is None or conn_box.get("port") != port:
            if conn is not None:
                conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=CLIENT_TIMEOUT)
            try:
                conn.connect()
            except OSError as error:
                post.outcome, post.error = "not-connected", type(error).__name__
                post.t_done = time.monotonic()
                conn.close()
                conn_box.clear()
                return
            conn_box.update(conn=conn, port=port)
        post.t_sent = time.monotonic()
        try:
            if chunked:
                pieces = [body[i:i + 65536] for i in range(0, len(body), 65536)]
                conn.request(method, target, iter(pieces), headers, encode_chunked=True)
            else:
                conn.request(method, target, body, headers)
            answer = conn.getresponse()
            answer.read()
            post.outcome, post.status = "status", answer.status
            if answer.will_close:
                conn.close()
                conn_box.clear()
        except (OSError, http.client.HTTPException) as error:
            post.outcome, post.error = "unknown", type(error).__name__
            conn.close()
            conn_box.clear()
        post.t_done = time.monotonic()

    def raw_post(self, post, listen, target, head_extra, body, pieces, half_close=False,
                 stall=False):
        """A POST over a bare socket: `pieces` (delays and byte counts) pace the body."""
        port, _, post.instance = listen
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        except OSError as error:
            post.outcome, post.error = "not-connected", type(error).__name__
            post.t_done = time.monotonic()
            return
        post.t_sent = time.monotonic()
        try:
            sock.settimeout(CLIENT_TIMEOUT)
            head = (f"POST {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                    f"Content-Length: {len(body)}\r\nConnection: close\r\n"
                    + "".join(f"{k}: {v}\r\n" for k, v in head_extra.items()) + "\r\n")
            sock.sendall(head.encode())
            offset = 0
            for delay, size in pieces:
                time.sleep(delay)
                sock.sendall(body[offset:offset + size])
                offset += size
            if not stall:
                sock.sendall(body[offset:])
            if half_close:
                sock.shutdown(socket.SHUT_WR)
            data = b""
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
            if not data.startswith(b"HTTP/1.1 "):
                raise RawAnswer("no answer" if not data else "not an HTTP answer")
            post.outcome, post.status = "status", int(data[9:12])
        except (OSError, RawAnswer, ValueError) as error:
            post.outcome, post.error = "unknown", type(error).__name__
        finally:
            sock.close()
        post.t_done = time.monotonic()

    def run_thread(self, name, step, pause):
        rng = random.Random(f"{self.seed}-{name}")
        state = {}
        count = 0
        end = self.t0 + self.duration
        try:
            while (not self.stop.is_set() and time.monotonic() < end
                   and count < MAX_REQUESTS_PER_THREAD):
                target = self.current()
                if target is None:
                    time.sleep(0.05)
                    continue
                step(rng, target, state)
                count += 1
                self.stop.wait(pause(rng))
        except Exception as error:  # a bug here must not pass silently
            self.failures.append(f"client thread {name} crashed: {type(error).__name__}: {error}")
        finally:
            if state.get("conn"):
                state["conn"].close()

    def step_payload(self, rng, target, state):
        """A valid payload (90%) or one failing its schema, in any form."""
        invalid = None
        if rng.random() < 0.1:
            invalid = rng.choice(["bad-date", "no-date", "object-id", "data-string"])
        payload = self.payload(rng, invalid=invalid)
        body, line = self.encode(payload, rng.choice(FORMS))
        headers, asked = self.handler_headers(rng)
        path, auth = self.auth(rng, PATH)
        headers.update(auth)
        post = self.register("invalid" if invalid else "valid", body, line, asked,
                             payload["event"]["events_id"])
        self.http_post(post, state, target, "POST", path, body, headers)

    def step_refused(self, rng, target, state):
        kind = rng.choice(["not-json", "not-json", "unauthorized", "wrong-path", "wrong-method",
                           "too-large", "too-large-chunked", "status-page"])
        port = target[0]
        path, auth = self.auth(rng, PATH)
        headers = {"Content-Type": "application/json", **auth}
        if kind == "status-page":
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                conn.request("GET", "/")
                conn.getresponse().read()
            except (OSError, http.client.HTTPException):
                pass
            finally:
                conn.close()
            return
        if kind == "not-json":
            n = self.uid()
            body = rng.choice([f"not json {n}", f'{{"event": {{"object_id": {n}}}',
                               f'{{"a": {n}}} {{"b": 2}}', f"<xml>{n}</xml>", f'{{"n": {n},}}'])
            body = body.encode()
            line = regex_compact(body)
        else:
            pad = 0
            if kind.startswith("too"):
                pad = rng.randrange(MAX_BODY + 1000, MAX_BODY + 500_000)
            body, line = self.encode(self.payload(rng, pad=pad), "compact")
        method = "POST"
        if kind == "unauthorized":
            path, headers = PATH + "?token=wrong", {"Content-Type": "application/json"}
        elif kind == "wrong-path":
            path = path.replace(PATH, "/elsewhere")
        elif kind == "wrong-method":
            method = rng.choice(["PUT", "PATCH", "DELETE"])
        post = self.register(kind, body, line)
        # Refusals may close the connection: a fresh one each time.
        self.http_post(post, {}, target, method, path, body, headers,
                       chunked=kind.endswith("chunked"))

    def step_large(self, rng, target, state):
        form = rng.choice(["compact", "compact", "pretty", "ascii"])
        pad = rng.randrange(100_000, 700_000)
        body, line = self.encode(self.payload(rng, pad=pad), form)
        if len(body) > MAX_BODY - 1000:
            return
        headers, asked = self.handler_headers(rng)
        path, auth = self.auth(rng, PATH)
        headers.update(auth)
        post = self.register("large", body, line, asked)
        self.http_post(post, state, target, "POST", path, body, headers,
                       chunked=rng.random() < 0.3)

    def step_slow(self, rng, target, state):
        """The body in pieces over 1 to 3 s; one in ten stalls past --body-timeout."""
        stall = rng.random() < 0.1
        body, line = self.encode(self.payload(rng), rng.choice(FORMS))
        headers, asked = self.handler_headers(rng)
        path, auth = self.auth(rng, PATH)
        headers.update(auth)
        count = rng.randrange(3, 7)
        total = rng.uniform(1.0, 3.0)
        cut = sorted(rng.sample(range(1, len(body)), count - 1))
        sizes = [b - a for a, b in zip([0] + cut, cut + [len(body)])]
        pieces = [(total / count, size) for size in sizes]
        if stall:
            pieces = pieces[: count // 2]
        post = self.register("stalled-body" if stall else "slow", body, line,
                             None if stall else asked)
        self.raw_post(post, target, path, headers, body, pieces, stall=stall)

    def step_half_close(self, rng, target, state):
        body, line = self.encode(self.payload(rng), rng.choice(FORMS))
        headers, asked = self.handler_headers(rng)
        path, auth = self.auth(rng, PATH)
        headers.update(auth)
        post = self.register("half-close", body, line, asked)
        self.raw_post(post, target, path, headers, body, [], half_close=True)

    def api_get(self, port, path, timeout=15):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        try:
            conn.request("GET", path, headers={"Authorization": f"Bearer {self.token}"})
            answer = conn.getresponse()
            data = answer.read()
            with self.lock:
                statuses = self.api["statuses"]
                statuses[answer.status] = statuses.get(answer.status, 0) + 1
            return answer.status, data
        except (OSError, http.client.HTTPException):
            with self.lock:
                self.api["api_errors"] += 1
            return None, b""
        finally:
            conn.close()

    def step_pages(self, rng, target, state):
        page = target[1]
        status, data = self.api_get(page, f"/api/requests?limit={rng.choice([20, 50, 200])}")
        if status != 200:
            return
        entries = json.loads(data)["requests"]
        with self.lock:
            self.api["lists"] += 1
        for entry in rng.sample(entries, min(3, len(entries))):
            status, data = self.api_get(page, f"/api/requests/{entry['n']}")
            with self.lock:
                self.api["details" if status == 200 else "details_gone"] += 1
            if status == 200 and rng.random() < 0.3:
                status, body = self.api_get(page, f"/api/requests/{entry['n']}/body")
                if status == 200:
                    with self.lock:
                        self.api["bodies"] += 1
                        if body and sha(body) not in self.sent:
                            self.api["bodies_unknown"] += 1
        if rng.random() < 0.2:
            if self.api_get(page, "/api/info")[0] == 200:
                with self.lock:
                    self.api["infos"] += 1

    def step_events(self, rng, target, state):
        """/api/events held open for 2 to 5 s."""
        page = target[1]
        seen = b""
        try:
            sock = socket.create_connection(("127.0.0.1", page), timeout=5)
        except OSError:
            return
        try:
            sock.sendall(f"GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:{page}\r\n"
                         f"Authorization: Bearer {self.token}\r\n"
                         "Accept: text/event-stream\r\n\r\n".encode())
            sock.settimeout(0.5)
            until = time.monotonic() + rng.uniform(2, 5)
            while time.monotonic() < until and not self.stop.is_set():
                try:
                    chunk = sock.recv(65536)
                except socket.timeout:
                    continue
                if not chunk:
                    break
                seen += chunk
        except OSError:
            pass
        finally:
            sock.close()
        with self.lock:
            self.api["events_streams"] += 1
            self.api["events_seen"] += seen.count(b"event: request")

    def step_capture(self, rng, target, state):
        status, data = self.api_get(target[1], "/api/capture", timeout=30)
        if status != 200:
            return
        lines = data.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        with self.lock:
            unknown = sum(1 for line in lines if sha(line) not in self.lines)
            self.api["captures"] += 1
            self.api["capture_lines"] += len(lines)
            self.api["capture_unknown"] += unknown

    def sample_rss(self):
        last_children = 0.0
        while not self.stop.is_set() or self.listen_pid:
            pid = self.listen_pid
            if pid:
                self.peak_rss = max(self.peak_rss, proc_status(pid, "VmRSS"))
                hwm = proc_status(pid, "VmHWM")
                self.peak_hwm = max(self.peak_hwm, hwm)
                if self.instances and self.instances[-1]["pid"] == pid:
                    self.instances[-1]["hwm"] = max(self.instances[-1]["hwm"], hwm)
                if time.monotonic() - last_children > 2:
                    last_children = time.monotonic()
                    self.listen_children.update(children_of(pid))
            if self.stop.is_set() and not pid:
                break
            time.sleep(0.2)

    # ---- the run ------------------------------------------------------------------------

    def run(self):
        self.load_samples()
        self.workdir = self.args.workdir or tempfile.mkdtemp(prefix="jerahook-soak-")
        os.makedirs(self.workdir, exist_ok=True)
        self.self_test()
        self.setup_disk()
        self.handler_port = free_port_below_ephemeral(self.rng)
        self.start_handler()
        self.start_listen(reject_invalid=False)
        plan = self.schedule()
        print(f"soak: seed {self.seed}, {self.duration:.0f} s, work directory {self.workdir}",
              flush=True)
        print(f"soak: handler on 127.0.0.1:{self.handler_port}, listen on "
              f"127.0.0.1:{self.target[0]}, page on 127.0.0.1:{self.target[1]}", flush=True)
        print("soak: plan: " + ", ".join(f"{what} at {at:.0f} s" for at, what in plan), flush=True)
        if self.disk_skipped:
            print(f"soak: disk-full fault skipped: {self.disk_skipped}", flush=True)
        self.t0 = time.monotonic()
        sampler = threading.Thread(target=self.sample_rss, daemon=True)
        sampler.start()
        threads = []
        for name, step, pause in [
            ("payloads-1", self.step_payload, lambda r: r.uniform(0, 0.03)),
            ("payloads-2", self.step_payload, lambda r: r.uniform(0, 0.03)),
            ("payloads-3", self.step_payload, lambda r: r.uniform(0, 0.03)),
            ("refused", self.step_refused, lambda r: r.uniform(0.05, 0.25)),
            ("large", self.step_large, lambda r: r.uniform(1.5, 3.5)),
            ("slow-1", self.step_slow, lambda r: r.uniform(0, 0.2)),
            ("slow-2", self.step_slow, lambda r: r.uniform(0, 0.2)),
            ("half-close", self.step_half_close, lambda r: r.uniform(0.02, 0.2)),
            ("pages", self.step_pages, lambda r: r.uniform(0.2, 1.0)),
            ("events", self.step_events, lambda r: r.uniform(0, 0.5)),
            ("capture", self.step_capture, lambda r: r.uniform(1.0, 2.0)),
        ]:
            thread = threading.Thread(target=self.run_thread, args=(name, step, pause),
                                      name=name, daemon=True)
            thread.start()
            threads.append(thread)
        end = self.t0 + self.duration
        next_report = self.t0 + 60
        for at, what in plan:
            while time.monotonic() < self.t0 + at and not self.stop.is_set():
                self.watch()
                if time.monotonic() >= next_report:
                    self.progress()
                    next_report += 60
                time.sleep(0.1)
            if self.stop.is_set():
                break
            print(f"soak: {time.monotonic() - self.t0:6.1f} s: {what}", flush=True)
            if what == "handler":
                self.restart_handler()
            elif what == "disk":
                self.fill_disk()
            elif what == "sigterm":
                self.restart_listen()
        while time.monotonic() < end and not self.stop.is_set():
            self.watch()
            if time.monotonic() >= next_report:
                self.progress()
                next_report += 60
            time.sleep(0.1)
        self.stop.set()
        print(f"soak: {time.monotonic() - self.t0:6.1f} s: traffic stopped, waiting for clients",
              flush=True)
        for thread in threads:
            thread.join(timeout=CLIENT_TIMEOUT + 15)
            if thread.is_alive():
                self.failures.append(f"client thread {thread.name} still running "
                                     f"{CLIENT_TIMEOUT + 15:.0f} s after the end (a hang?)")
        self.traffic_took = time.monotonic() - self.t0
        if self.listen and self.listen.poll() is None:
            self.stop_listen("end of the run")
        self.kill_handler()
        sampler.join(timeout=5)

    def watch(self):
        if self.listen and self.listen.poll() is not None and self.target is not None:
            self.failures.append(f"listen #{self.instances[-1]['number']} exited by itself with "
                                 f"{self.listen.returncode}")
            with self.lock:
                self.target = None
            self.listen_pid = None
            self.instances[-1]["exit"] = self.listen.returncode
            self.stop.set()

    def progress(self):
        with self.lock:
            posts = len(self.posts)
            ok = sum(1 for post in self.posts if post.status and 200 <= post.status < 300)
        print(f"soak: {time.monotonic() - self.t0:6.1f} s: {posts} bodies posted, {ok} answered "
              f"2xx, listen RSS {proc_status(self.listen_pid, 'VmRSS') / 2**20:.1f} MB",
              flush=True)

    def cleanup(self):
        """Every process this run started is stopped, whatever happened."""
        self.stop.set()
        for instance in self.instances:
            process = instance["process"]
            if process.poll() is None:
                process.kill()
                process.wait()
        self.listen_pid = None
        for handler in self.handlers:
            if handler.poll() is None:
                handler.kill()
                handler.wait()

    # ---- checks -------------------------------------------------------------------------

    def in_window(self, t, names, margin=1.0):
        return any(start - margin <= t <= end + margin for name, start, end in self.windows
                   if name in names)

    def check(self):
        checks = []

        def add(ok, text):
            checks.append((ok, text))

        counts = {}
        with open(self.save, "rb") as saved:
            data = saved.read()
        whole = data == b"" or data.endswith(b"\n")
        lines = data.split(b"\n")[:-1] if whole else data.split(b"\n")
        for line in lines:
            key = sha(line)
            counts[key] = counts.get(key, 0) + 1
        stray = sum(n for key, n in counts.items() if key not in self.lines)
        add(whole, "the save file ends in a whole line")
        add(stray == 0, f"lines in the save file that are no payload sent: {stray}")

        lost, duplicated, wrongly_saved, unknown, unknown_saved = [], [], [], 0, 0
        ok_total = 0
        for post in self.posts:
            n = counts.get(post.line, 0)
            if n > 1:
                duplicated.append(post)
            if post.outcome == "status" and 200 <= post.status < 300:
                ok_total += 1
                if n == 0:
                    lost.append(post)
            elif post.outcome == "unknown":
                unknown += 1
                unknown_saved += n > 0
            elif n > 0:
                wrongly_saved.append(post)
        add(not lost, f"payloads answered 2xx but not saved (lost): {len(lost)}")
        add(not duplicated, f"payloads saved more than once (duplicated): {len(duplicated)}")
        add(not wrongly_saved, f"payloads saved though answered otherwise: {len(wrongly_saved)}")

        mismatched = [post for post in self.posts
                      if post.kind in REFUSED_STATUS and post.outcome == "status"
                      and post.status != REFUSED_STATUS[post.kind]]
        add(not mismatched, f"refused requests answered other than their status: {len(mismatched)}")

        cut = [post for post in self.posts if post.outcome == "unknown"
               and post.kind != "stalled-body"
               and not self.in_window(post.t_done or 0, ("listen-restart",))]
        add(not cut, f"requests without an answer outside the listen restart: {len(cut)}")

        if self.sigterm:
            with open(self.save, "rb") as saved:
                kept = sha(saved.read(self.sigterm["size"])) == self.sigterm["prefix"]
            add(kept, f"the first listen's {self.sigterm['size']} bytes are intact after the "
                      "restart (it appends)")
        for instance in self.instances:
            add(instance["exit"] == 0 and instance["stop_took"] is not None
                and instance["stop_took"] <= GRACE + 5,
                f"listen #{instance['number']} stopped at SIGTERM in "
                f"{instance['stop_took'] or 0:.1f} s with exit code {instance['exit']}")
        # The checks below mean nothing if the page was never read.
        add(self.api["lists"] > 0 and self.api["captures"] > 0 and self.api["events_seen"] > 0,
            f"the page was read: {self.api['lists']} lists, {self.api['captures']} captures, "
            f"{self.api['events_seen']} live events")
        add(self.api["capture_unknown"] == 0,
            f"/api/capture lines that are no payload sent: {self.api['capture_unknown']} "
            f"of {self.api['capture_lines']}")
        add(self.api["bodies_unknown"] == 0,
            f"/api/requests/N/body answers that are no body sent: {self.api['bodies_unknown']}")
        limit = self.args.rss_limit_mb * 2**20
        peak = max(self.peak_rss, self.peak_hwm)
        add(peak < limit, f"listen's peak RSS {peak / 2**20:.1f} MB under "
                          f"{self.args.rss_limit_mb} MB")
        left = [p.pid for p in [i["process"] for i in self.instances] + self.handlers
                if p.poll() is None]
        children = children_of(os.getpid())
        add(not left and not children and not self.listen_children,
            f"processes left: {len(left) + len(children)} (children of listen seen: "
            f"{len(self.listen_children)})")
        return checks, lost, duplicated, wrongly_saved, unknown, unknown_saved, ok_total, \
            len(lines), len(data)

    def write_record(self):
        with open(os.path.join(self.workdir, "posts.ndjson"), "w") as out:
            for post in self.posts:
                out.write(json.dumps({
                    "n": post.n, "kind": post.kind, "size": post.size, "sent_sha256": post.sent,
                    "line_sha256": post.line, "listen": post.instance, "outcome": post.outcome,
                    "status": post.status, "error": post.error, "handler_asked": post.asked,
                    "sent_at": round(post.t_sent - self.t0, 3) if post.t_sent else None,
                    "done_at": round(post.t_done - self.t0, 3) if post.t_done else None,
                }) + "\n")

    def summary(self):
        checks, lost, duplicated, wrongly, unknown, unknown_saved, ok_total, saved, size = \
            self.check()
        self.write_record()
        print()
        print(f"soak summary (seed {self.seed}): {self.traffic_took:.1f} s of traffic, "
              f"{len(self.posts)} bodies posted")
        print(f"  {'kind':<18}{'sent':>8}{'2xx':>8}{'other':>8}{'no conn':>9}{'unknown':>9}"
              "  statuses")
        kinds = {}
        for post in self.posts:
            kinds.setdefault(post.kind, []).append(post)
        for kind in sorted(kinds):
            posts = kinds[kind]
            statuses = {}
            for post in posts:
                if post.outcome == "status":
                    statuses[post.status] = statuses.get(post.status, 0) + 1
            two = sum(n for s, n in statuses.items() if 200 <= s < 300)
            other = sum(n for s, n in statuses.items() if not 200 <= s < 300)
            no_conn = sum(1 for p in posts if p.outcome == "not-connected")
            unk = sum(1 for p in posts if p.outcome == "unknown")
            shown = " ".join(f"{s}:{n}" for s, n in sorted(statuses.items()))
            print(f"  {kind:<18}{len(posts):>8}{two:>8}{other:>8}{no_conn:>9}{unk:>9}  {shown}")
        saved_events = {post.event for post in self.posts if post.event and post.kind == "valid"
                        and post.outcome == "status" and 200 <= post.status < 300}
        print(f"  events among valid payloads saved: {len(saved_events)} of {len(self.samples)}")
        print(f"  answered 2xx: {ok_total}; saved: {saved} lines ({size / 2**20:.1f} MB); "
              f"lost: {len(lost)}; duplicated: {len(duplicated)}; saved though not 2xx: "
              f"{len(wrongly)}; unknown fate: {unknown} (of them saved: {unknown_saved})")
        # Answers to forwarded payloads that are not the handler's own, and when they came.
        explained = {"handler-down": 0, "disk-full": 0, "listen-restart": 0}
        unexplained = {}
        for post in self.posts:
            if post.asked is None or post.outcome != "status" or post.status == post.asked:
                continue
            if post.kind == "invalid" and post.status == 422:
                continue
            for name in explained:
                if self.in_window(post.t_done, (name,)):
                    explained[name] += 1
                    break
            else:
                unexplained[post.status] = unexplained.get(post.status, 0) + 1
        print(f"  forwarded payloads not answered with the handler's status: during handler "
              f"restarts {explained['handler-down']}, disk full {explained['disk-full']}, listen "
              f"restart {explained['listen-restart']}, at other times "
              f"{sum(unexplained.values())} {unexplained or ''}")
        if self.disk_full:
            start, end, filled = self.disk_full
            disk = (f"yes, {end - start:.1f} s from {start - self.t0:.0f} s "
                    f"({filled / 2**20:.0f} MB filler)")
        else:
            disk = f"no ({self.disk_skipped or 'not reached'})"
        if self.sigterm:
            at = self.sigterm["start"]
            flight = [post for post in self.posts if post.t_sent and post.t_sent < at
                      and (post.t_done or at) >= at and post.instance == 1]
            answered = sum(1 for post in flight if post.outcome == "status")
            term = (f"1 at {at - self.t0:.0f} s (stopped in {self.sigterm['stop_took']:.1f} s, "
                    f"exit {self.sigterm['exit']}; in flight {len(flight)}, of them answered "
                    f"{answered}; back after {self.sigterm['end'] - at:.1f} s)")
        else:
            term = "0"
        print(f"  faults: handler restarts {self.handler_restarts}; disk full: {disk}; "
              f"SIGTERM restarts: {term}")
        api = self.api
        print(f"  page API: {api['lists']} lists, {api['details']} details ({api['details_gone']} "
              f"gone), {api['bodies']} bodies, {api['infos']} info, {api['events_streams']} event "
              f"streams ({api['events_seen']} events), {api['captures']} captures "
              f"({api['capture_lines']} lines), {api['api_errors']} connection errors; statuses "
              f"{dict(sorted(api['statuses'].items()))}")
        hwm = " ".join(f"#{i['number']} {i['hwm'] / 2**20:.1f} MB" for i in self.instances)
        print(f"  listen peak RSS {self.peak_rss / 2**20:.1f} MB (sampled every 200 ms); VmHWM "
              f"{hwm}; bound {self.args.rss_limit_mb} MB")
        for note in self.notes:
            print(f"  note: {note}")
        for failure in self.failures:
            checks.append((False, failure))
        print("checks:")
        for ok, text in checks:
            print(f"  {'ok  ' if ok else 'FAIL'} {text}")
        for label, posts in (("lost", lost), ("duplicated", duplicated),
                             ("saved though not 2xx", wrongly)):
            for post in posts[:10]:
                print(f"  {label}: #{post.n} {post.kind} {post.size} bytes, listen "
                      f"#{post.instance}, {post.outcome} {post.status}, sent at "
                      f"{(post.t_sent or 0) - self.t0:.2f} s, sha256 {post.sent}")
        return all(ok for ok, _ in checks)


def interrupted(*_):
    raise KeyboardInterrupt


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", default="target/release/jerahook")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--rss-limit-mb", type=float, default=350.0)
    parser.add_argument("--disk-mb", type=int, default=512,
                        help="size of the tmpfs holding the save file (default 512)")
    parser.add_argument("--workdir", help="where the save file and logs go (default: a new "
                                          "temporary directory)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    if args.seed is None:
        args.seed = random.randrange(1_000_000)
    if not 0.2 <= args.minutes <= 120:
        parser.error("--minutes: from 0.2 to 120")
    if not os.access(args.binary, os.X_OK):
        parser.error(f"{args.binary}: not an executable (cargo build --release first)")
    args.binary = os.path.abspath(args.binary)

    soak = Soak(args)
    passed = False
    signal.signal(signal.SIGTERM, interrupted)
    try:
        soak.run()
        passed = soak.summary()
    except KeyboardInterrupt:
        print("soak: interrupted", file=sys.stderr)
        return 1
    except RuntimeError as error:
        print(f"soak: {error}", file=sys.stderr)
        return 2 if soak.t0 is None else 1
    finally:
        soak.cleanup()
        keep = args.keep or not passed
        soak.teardown_disk(keep_file=keep)
        if soak.workdir and not args.workdir:
            if keep:
                print(f"soak: work directory kept: {soak.workdir}")
            else:
                shutil.rmtree(soak.workdir, ignore_errors=True)
    print("soak: PASS" if passed else "soak: FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
