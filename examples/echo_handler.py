#!/usr/bin/env python3
"""A Provisioning API handler in the style of the vendor's example: it reads the raw body,
parses it as JSON and answers with the same JSON (an echo), so VCS logs Success.

    python3 examples/echo_handler.py [--port 5000] [--read-data-id]

--port 0 picks a free port; the first line on stderr names the address. --read-data-id adds a
bug many handlers have: it reads data["id"] with .get(), which fails when data is [] (as VCS
sends for charge and payment deletes), and the handler answers 500 with the error, as a web
framework would.
"""

import argparse
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    read_data_id = False

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        try:
            payload = json.loads(body)
            if self.read_data_id:
                payload["data"].get("id")
            status, answer = 200, json.dumps(payload).encode()
        except Exception as error:  # what a framework turns into a 500
            status = 500
            answer = json.dumps({"error": f"{type(error).__name__}: {error}"}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format, *args):
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--read-data-id", action="store_true")
    args = parser.parse_args()
    Handler.read_data_id = args.read_data_id
    # The default backlog of 5 makes the kernel drop connections of a burst, which then wait a
    # second to retry; VCS posts events as they happen, several at once.
    ThreadingHTTPServer.request_queue_size = 64
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(f"listening on http://127.0.0.1:{server.server_port}/", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
