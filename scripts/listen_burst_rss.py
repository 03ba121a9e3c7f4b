#!/usr/bin/env python3
"""Resident memory of `jerahook listen` before, during and after a burst of 60 concurrent
15 MB bodies; the statuses they got.

    scripts/listen_burst_rss.py [path/to/jerahook] [extra listen flags...]
"""

import collections
import http.client
import subprocess
import sys
import threading
import time

binary = sys.argv[1] if len(sys.argv) > 1 else "target/debug/jerahook"
flags = sys.argv[2:]


def rss(pid, field):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1]) // 1024
    return 0


listener = subprocess.Popen(
    [binary, "listen", "--addr", "127.0.0.1:0", *flags],
    stdout=subprocess.DEVNULL,
    stderr=subprocess.PIPE,
    text=True,
)
try:
    first = listener.stderr.readline()
    host, port = first.split("http://")[1].split("/")[0].rsplit(":", 1)
    pad = "x" * (15_000_000 - 100)
    body = ('{"event": {"events_id": "clients.create", "object_id": 1}, "data": {"pad": "%s"}}' % pad).encode()
    time.sleep(0.5)
    print(f"resting: {rss(listener.pid, 'VmRSS')} MB")
    statuses = collections.Counter()

    def post():
        connection = http.client.HTTPConnection(host, int(port), timeout=60)
        try:
            connection.request("POST", "/", body, {"Content-Type": "application/json"})
            statuses[connection.getresponse().status] += 1
        except Exception as error:
            statuses[type(error).__name__] += 1
        finally:
            connection.close()

    for burst in (1, 2, 3):
        statuses.clear()
        threads = [threading.Thread(target=post) for _ in range(60)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        took = time.monotonic() - started
        print(f"burst {burst}: 60 x 15 MB in {took:.1f} s: {dict(statuses)}")
        print(f"  peak so far: {rss(listener.pid, 'VmHWM')} MB")
        for wait in (0, 1, 5):
            time.sleep(wait)
            print(f"  after the burst (+{wait} s): {rss(listener.pid, 'VmRSS')} MB")
        # Ordinary traffic again: threads that freed memory of others' tidy up as they work.
        small = b'{"event": {"events_id": "clients.create", "object_id": 1}, "data": {}}'
        for _ in range(200):
            connection = http.client.HTTPConnection(host, int(port), timeout=10)
            connection.request("POST", "/", small, {"Content-Type": "application/json"})
            connection.getresponse().read()
            connection.close()
        print(f"  after 200 small payloads: {rss(listener.pid, 'VmRSS')} MB")
finally:
    listener.terminate()
    listener.wait()
