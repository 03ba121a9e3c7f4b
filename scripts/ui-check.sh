#!/usr/bin/env bash
# The inspector page in a real browser: with a stand-in handler running, scripts/ui_check.py
# starts `listen --ui --forward-to` it, opens the page in headless Chromium, posts a valid, an
# invalid and a refused request, and checks that their rows arrive live with the right marks,
# that payload markup shows as text, that the invalid request's detail shows its errors marked
# in the body, that a replay reaches the handler, that the commands copied for a body built to
# run code on paste are printable and post it byte for byte without running it, and that the
# page reconnects after a restart.
# Screenshots and the page's DOM go to target/ui-check/. Installs Debian's chromium when it is
# missing (root).
set -euo pipefail
cd "$(dirname "$0")/.."

out=target/ui-check
mkdir -p "$out"

if ! command -v chromium >/dev/null 2>&1; then
    echo "== installing chromium"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
fi
command -v python3 >/dev/null 2>&1 || { echo "python3 is required" >&2; exit 2; }

echo "== building"
cargo build --quiet
bin=target/debug/jerahook

# A stand-in for the real handler: answers every POST with 200 and a short JSON.
rm -f "$out/handler.port"
python3 -c '
import http.server
class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        body = b"{\"result\": \"ok\"}"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
' >"$out/handler.port" &
handler=$!
trap 'kill "$handler" 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -s "$out/handler.port" ] && break; sleep 0.1; done
forward="http://127.0.0.1:$(cat "$out/handler.port")/vcs"

python3 scripts/ui_check.py "$bin" "$forward" "$out"
