#!/usr/bin/env python3
"""Posts oversized bodies to `jerahook listen --max-body 1000` the way Python's urllib does
(the whole body, then the answer) and counts how many got their 413.

    scripts/listen_oversized.py [path/to/jerahook] [posts per size]
"""

import subprocess
import sys
import urllib.error
import urllib.request

binary = sys.argv[1] if len(sys.argv) > 1 else "target/debug/jerahook"
posts = int(sys.argv[2]) if len(sys.argv) > 2 else 100

listener = subprocess.Popen(
    [binary, "listen", "--addr", "127.0.0.1:0", "--max-body", "1000"],
    stdout=subprocess.DEVNULL,
    stderr=subprocess.PIPE,
    text=True,
)
try:
    first = listener.stderr.readline()
    url = "http://" + first.split("http://")[1].split()[0]
    for size in (1_000_000, 10_000_000):
        body = b"x" * size
        outcomes = {}
        for _ in range(posts):
            request = urllib.request.Request(
                url, data=body, headers={"Content-Type": "application/json"}
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as answer:
                    outcome = str(answer.status)
            except urllib.error.HTTPError as error:
                outcome = str(error.code)
            except Exception as error:  # a broken pipe or a reset: no answer seen
                outcome = type(getattr(error, "reason", error)).__name__
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        print(f"{size:>10} bytes: {outcomes.get('413', 0)} of {posts} got 413; all: {outcomes}")
finally:
    listener.terminate()
    listener.wait()
