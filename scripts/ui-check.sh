#!/usr/bin/env bash
# The inspector page in a real browser: starts `listen --ui`, then scripts/ui_check.py opens
# the page in headless Chromium, posts a valid, an invalid and a refused request, and checks
# that their rows arrive live with the right marks, that payload markup shows as text, and
# that the invalid request's detail shows its error marked in the body. Screenshots and the
# page's DOM go to target/ui-check/. Installs Debian's chromium when it is missing (root).
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

rm -f "$out/listen.out" "$out/listen.err"
"$bin" listen --addr 127.0.0.1:0 --ui 127.0.0.1:0 --token s3cret --forward-to "$forward" \
    >"$out/listen.out" 2>"$out/listen.err" &
pid=$!
trap 'kill "$pid" "$handler" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    grep -q "Ctrl-C stops" "$out/listen.err" 2>/dev/null && break
    sleep 0.1
done
listen=$(grep -o 'listening on http://[^/]*' "$out/listen.err" | sed 's|.*http://||')
page=$(grep -o 'inspector page on http://[^/]*' "$out/listen.err" | sed 's|.*http://||')
echo "== listen on $listen, page on $page, forwarding to $forward"

python3 scripts/ui_check.py "http://$listen" "http://$page/" "$out"
