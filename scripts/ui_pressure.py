#!/usr/bin/env python3
"""What strangers and a busy page cost `jerahook listen --ui`, on loopback:

1. memory: 5,000 refused requests (no token), each with about 380 KB of headers and a 2 KB
   target, at --ui-history 5000; the listener's peak RSS (the goal: under 350 MB);
2. latency: the history filled with about 200 MB of payloads, then for 15 s four page clients
   loop over the capture download and a text search while one poster sends small payloads;
   the poster's reply times, p50 / p99 / max (the goal: p99 under 50 ms).

    scripts/ui_pressure.py [path/to/jerahook]

Bounded: every loop stops by itself, every socket has a timeout, the listener is stopped at
the end.
"""

import http.client
import json
import socket
import subprocess
import sys
import threading
import time

binary = sys.argv[1] if len(sys.argv) > 1 else "target/release/jerahook"


def status_field(pid, field):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    return 0.0


def start(*flags):
    listener = subprocess.Popen([binary, "listen", "--addr", "127.0.0.1:0", "--ui", "127.0.0.1:0", *flags],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    banner = ""
    while "Ctrl-C stops" not in banner:
        line = listener.stderr.readline()
        if not line:
            raise SystemExit(f"no banner: {banner!r}")
        banner += line
    threading.Thread(target=lambda: listener.stderr.read(), daemon=True).start()

    def port(marker):
        return int(banner.split(marker)[1].split("/")[0].rsplit(":", 1)[1])

    return listener, port("listening on http://"), port("inspector page on http://")


def stop(listener):
    listener.terminate()
    try:
        listener.wait(timeout=15)
    except subprocess.TimeoutExpired:
        listener.kill()
        listener.wait()


def memory():
    listener, port, _ = start("--ui-history", "5000", "--token", "not-given")
    try:
        header = "x" * 3900
        head = "".join(f"X-Pad-{i}: {header}\r\n" for i in range(97))
        target = "/" + "t" * 2000
        request = (f"POST {target} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n"
                   f"{head}\r\n{{}}").encode()
        print(f"memory: each refused request carries {len(head) // 1024} KB of headers; "
              f"at rest {status_field(listener.pid, 'VmRSS'):.0f} MB")
        statuses = {}
        started = time.monotonic()
        for n in range(5000):
            with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
                connection.sendall(request)
                answer = connection.recv(64).split(b" ")
                code = answer[1].decode() if len(answer) > 1 else "none"
                statuses[code] = statuses.get(code, 0) + 1
            if n % 1000 == 999:
                print(f"  after {n + 1}: RSS {status_field(listener.pid, 'VmRSS'):.0f} MB")
        took = time.monotonic() - started
        peak = status_field(listener.pid, "VmHWM")
        print(f"memory: 5000 refused requests in {took:.1f} s, statuses {statuses}; "
              f"peak RSS {peak:.0f} MB (goal: under 350 MB)")
        return peak < 350
    finally:
        stop(listener)


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


def latency():
    listener, port, page = start("--ui-history", "5000", "--max-body", "1MiB")
    try:
        filler = "f" * 150_000
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for n in range(1400):
            body = json.dumps({"event": {"dt": "2025-01-01T10:00:00+00:00", "events_id": "clients.archive",
                                         "object_id": n}, "data": {"name": f"filler {n} {filler}"}})
            connection.request("POST", "/", body, {"Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
        print(f"latency: history filled with 1400 payloads of 150 KB; RSS {status_field(listener.pid, 'VmRSS'):.0f} MB")

        deadline = time.monotonic() + 15
        pages = {"downloads": 0, "searches": 0, "bytes": 0}
        lock = threading.Lock()

        def page_client(kind):
            api = http.client.HTTPConnection("127.0.0.1", page, timeout=60)
            while time.monotonic() < deadline:
                target = "/api/capture" if kind == "downloads" else "/api/requests?q=no-such-text&limit=50"
                api.request("GET", target)
                response = api.getresponse()
                size = len(response.read())
                with lock:
                    pages[kind] += 1
                    pages["bytes"] += size

        clients = [threading.Thread(target=page_client, args=(kind,))
                   for kind in ["downloads", "downloads", "searches", "searches"]]
        for client in clients:
            client.start()
        times = []
        small = json.dumps({"event": {"dt": "2025-01-01T10:00:00+00:00", "events_id": "clients.archive",
                                      "object_id": 1}, "data": {}})
        while time.monotonic() < deadline:
            started = time.monotonic()
            connection.request("POST", "/", small, {"Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            times.append((time.monotonic() - started) * 1000)
            time.sleep(0.01)
        for client in clients:
            client.join(timeout=90)
        p99 = percentile(times, 99)
        print(f"latency: {pages['downloads']} downloads and {pages['searches']} searches "
              f"({pages['bytes'] / 1e6:.0f} MB) during {len(times)} payloads; reply p50 "
              f"{percentile(times, 50):.1f} ms, p99 {p99:.1f} ms, max {max(times):.1f} ms (goal: p99 under 50 ms)")
        return p99 < 50
    finally:
        stop(listener)


ok = memory()
ok = latency() and ok
sys.exit(0 if ok else 1)
