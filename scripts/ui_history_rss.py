#!/usr/bin/env python3
"""Resident memory of `jerahook listen --ui` as its history fills: at rest, after 1,000
requests (a full default history), after 3,000 (still 1,000 kept), and after the page's API
read the whole list and every detail once; the same run without --ui for comparison. The
payloads are the catalog's samples, each with its own object id.

    scripts/ui_history_rss.py [path/to/jerahook]
"""

import http.client
import json
import subprocess
import sys
import time

binary = sys.argv[1] if len(sys.argv) > 1 else "target/debug/jerahook"


def rss(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    return 0.0


samples = json.loads(subprocess.run([binary, "events", "--format", "json"], check=True,
                                    capture_output=True, text=True).stdout)
ids = [event["id"] for event in samples]
bodies = [subprocess.run([binary, "sample", event_id], check=True, capture_output=True).stdout
          for event_id in ids]


def run(ui):
    flags = ["--ui", "127.0.0.1:0"] if ui else []
    listener = subprocess.Popen([binary, "listen", "--addr", "127.0.0.1:0", *flags],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        banner = ""
        while "Ctrl-C stops" not in banner:
            banner += listener.stderr.readline()
        port = int(banner.split("listening on http://")[1].split("/")[0].rsplit(":", 1)[1])
        page = int(banner.split("inspector page on http://")[1].split("/")[0].rsplit(":", 1)[1]) if ui else None
        connection = http.client.HTTPConnection("127.0.0.1", port)
        sent = 0
        size = 0

        def post(count):
            nonlocal sent, size
            for _ in range(count):
                body = bodies[sent % len(bodies)]
                payload = json.loads(body)
                payload["event"]["object_id"] = 100000 + sent
                body = json.dumps(payload).encode()
                size += len(body)
                connection.request("POST", "/", body, {"Content-Type": "application/json"})
                answer = connection.getresponse()
                answer.read()
                assert answer.status == 200, answer.status
                sent += 1

        time.sleep(0.3)
        label = "with --ui" if ui else "without --ui"
        print(f"{label}: at rest {rss(listener.pid):.1f} MB")
        post(1000)
        time.sleep(0.3)
        print(f"{label}: after 1000 requests ({size / 1000:.0f} bytes each on average) {rss(listener.pid):.1f} MB")
        post(2000)
        time.sleep(0.3)
        print(f"{label}: after 3000 requests {rss(listener.pid):.1f} MB")
        if ui:
            api = http.client.HTTPConnection("127.0.0.1", page)
            api.request("GET", "/api/requests")
            listed = json.loads(api.getresponse().read())
            for entry in listed["requests"]:
                api.request("GET", f"/api/requests/{entry['n']}")
                api.getresponse().read()
            print(f"{label}: {len(listed['requests'])} kept; after reading the list and every detail {rss(listener.pid):.1f} MB")
    finally:
        listener.terminate()
        listener.wait()


run(False)
run(True)
