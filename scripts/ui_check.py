#!/usr/bin/env python3
"""Drives headless Chromium over the DevTools protocol (on a pipe: no extra packages) against
`listen --ui`: starts it, opens the page, posts a valid, an invalid and a refused request, waits
for their rows to arrive through the live stream, checks them, opens the invalid one's detail,
checks its errors, replays it to the handler, copies the commands for a hostile body and runs
them, takes screenshots, then restarts `listen` on the
same page address and checks that the page reconnects by itself.
Usage: ui_check.py JERAHOOK FORWARD_URL OUT_DIR.
"""

import base64
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

BINARY, FORWARD, OUT = sys.argv[1], sys.argv[2], sys.argv[3]

VALID = {"event": {"dt": "2025-03-01 12:00:00+0000", "events_id": "clients.create", "object_id": 1042},
         "data": {"id": 1042, "name": "Acme Telecom", "companies_id": 1}}
INVALID = {"event": {"dt": "2025-03-01 12:00:05+0000", "events_id": "clients.create",
                     "object_id": "<script>alert(1)</script>"},
           "data": {"id": 1042, "name": "Acme Telecom", "companies_id": "one"}}


class Browser:
    """Chromium with --remote-debugging-pipe: commands on fd 3, answers on fd 4, NUL-separated."""

    def __init__(self):
        to_browser_r, self.to_browser = os.pipe()
        self.from_browser, from_browser_w = os.pipe()
        # The child gets our pipe ends as its fds 3 and 4.
        self.process = subprocess.Popen(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             "--no-first-run", "--remote-debugging-pipe", "about:blank"],
            pass_fds=(3, 4), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=lambda: (os.dup2(to_browser_r, 3), os.dup2(from_browser_w, 4)))
        os.close(to_browser_r)
        os.close(from_browser_w)
        self.buffer = b""
        self.next_id = 0
        self.session = None
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": 1400, "height": 820, "deviceScaleFactor": 1, "mobile": False})

    def call(self, method, params=None):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if self.session:
            message["sessionId"] = self.session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        while True:
            while b"\0" not in self.buffer:
                chunk = os.read(self.from_browser, 1 << 16)
                if not chunk:
                    raise RuntimeError("chromium closed the pipe")
                self.buffer += chunk
            raw, self.buffer = self.buffer.split(b"\0", 1)
            answer = json.loads(raw)
            if answer.get("id") == self.next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer["result"]

    def js(self, expression):
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait(self, expression, what, seconds=10):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if self.js(expression):
                return True
            time.sleep(0.1)
        raise RuntimeError(f"timed out waiting for {what}")

    def screenshot(self, path, height=None):
        params = {"format": "png"}
        if height:
            params["clip"] = {"x": 0, "y": 0, "width": 1400, "height": height, "scale": 1}
        data = self.call("Page.captureScreenshot", params)["data"]
        with open(path, "wb") as file:
            file.write(base64.b64decode(data))

    def close(self):
        self.process.kill()
        self.process.wait()


def start_listener(page_port=0):
    """`listen --ui` on free loopback ports (the page on `page_port` when given); the process,
    the listen URL and the page URL, read from the banner."""
    process = subprocess.Popen(
        [BINARY, "listen", "--addr", "127.0.0.1:0", "--ui", f"127.0.0.1:{page_port}",
         "--token", "s3cret", "--forward-to", FORWARD],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    banner = ""
    while "Ctrl-C stops" not in banner:
        line = process.stderr.readline()
        if not line:
            raise RuntimeError(f"no banner: {banner}")
        banner += line
    print(banner.rstrip())
    address = lambda marker: banner.split(marker)[1].split("/")[0]
    return process, "http://" + address("listening on http://"), "http://" + address("inspector page on http://") + "/"


def post(path, payload):
    request = urllib.request.Request(LISTEN + path, data=json.dumps(payload).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


failed = []


def check(name, ok):
    print(("ok   " if ok else "FAIL ") + name)
    if not ok:
        failed.append(name)


listener, LISTEN, PAGE = start_listener()
browser = Browser()
try:
    # Opened without the token, the page asks for it, then opens with it.
    browser.call("Page.navigate", {"url": PAGE})
    browser.wait("document.getElementById('token-form') !== null", "the token prompt")
    check("without the token the page asks for it, and shows nothing else",
          browser.js("document.querySelectorAll('#rows tr').length") == 0
          and browser.js("document.getElementById('live').textContent") == "locked")
    browser.screenshot(f"{OUT}/token.png", 120)
    browser.js("document.getElementById('token').value = 's3cret'; "
               "document.getElementById('token-form').requestSubmit()")
    browser.wait("document.getElementById('live')?.className === 'live on'", "the live stream")
    check("with the token typed in, the page opens", "token=s3cret" in browser.js("location.search"))
    print("page open, stream live; posting")
    print("valid   ->", post("/vcs?token=s3cret", VALID))
    print("invalid ->", post("/vcs?token=s3cret", INVALID))
    print("refused ->", post("/vcs", VALID))
    browser.wait("document.querySelectorAll('#rows tr').length === 3", "three rows")
    rows = browser.js("[...document.querySelectorAll('#rows tr')].map(tr => "
                      "[tr.dataset.n, tr.className, ...[...tr.cells].map(td => td.textContent)])")
    for cells in rows:
        print("row:", " | ".join(cells))
    check("three rows, newest first, arrived live", [r[0] for r in rows] == ["3", "2", "1"])
    check("marks refused, ✗, ✓", [r[4] for r in rows] == ["refused", "✗", "✓"])
    check("verdict classes", [r[1] for r in rows] == ["refused", "invalid", "valid"])
    check("forward statuses", [r[8] for r in rows] == ["", "200", "200"])
    check("the object id <script> shows as text", rows[1][6] == "<script>alert(1)</script>")
    check("no script but the page's own",
          browser.js("[...document.scripts].map(s => s.getAttribute('src')).join()") == "page.js")
    with open(f"{OUT}/list.html", "w") as file:
        file.write(browser.js("document.documentElement.outerHTML"))
    # Down to a little below the table: the rest is empty.
    browser.screenshot(f"{OUT}/list.png", browser.js("document.getElementById('list').getBoundingClientRect().bottom + 16"))

    browser.js("document.querySelector('#rows tr[data-n=\"2\"]').click()")
    browser.wait("document.getElementById('issues') !== null", "the detail view")
    errors = browser.js("[...document.querySelectorAll('#issues li')].map(li => li.textContent)")
    for error in errors:
        print("error:", error)
    check("the detail shows the error text",
          any("expected an integer or a string of digits" in e for e in errors))
    marked = browser.js("[...document.querySelectorAll('#pretty mark.error')].map(m => m.textContent)")
    print("marked in the body:", marked)
    check("the offending values are marked in the body",
          '"<script>alert(1)</script>"' in marked and '"one"' in marked)
    check("the handler's answer is shown", "Handler · 200" in browser.js("document.getElementById('detail').textContent"))
    check("the token is hidden", "s3cret" not in browser.js("document.body.textContent")
          and "/vcs?token=***" in browser.js("document.getElementById('detail').textContent"))
    check("no script but the page's own",
          browser.js("[...document.scripts].map(s => s.getAttribute('src')).join()") == "page.js")
    with open(f"{OUT}/detail.html", "w") as file:
        file.write(browser.js("document.documentElement.outerHTML"))
    browser.screenshot(f"{OUT}/detail.png")
    # The same view on a narrow screen, to look at.
    browser.call("Emulation.setDeviceMetricsOverride",
                 {"width": 420, "height": 820, "deviceScaleFactor": 1, "mobile": False})
    time.sleep(0.3)
    data = browser.call("Page.captureScreenshot", {"format": "png"})["data"]
    with open(f"{OUT}/narrow.png", "wb") as file:
        file.write(base64.b64decode(data))
    browser.call("Emulation.setDeviceMetricsOverride",
                 {"width": 1400, "height": 820, "deviceScaleFactor": 1, "mobile": False})

    browser.js("document.getElementById('replay').click()")
    browser.wait("document.getElementById('replay-result').textContent.includes(' · ')", "the replay")
    replayed = browser.js("document.getElementById('replay-result').textContent")
    print("replay:", replayed.replace("\n", " | "))
    check("a replay reaches the handler", replayed.startswith(FORWARD) and "\n200 · " in replayed)

    # A body built to run code when its copied command is pasted: DELs to erase the opening
    # quote, a command substitution, a right-to-left override, a C1 next line, a quote and a
    # newline. The copied commands must be printable and post it byte for byte when run.
    marker = f"{OUT}/pwned"
    if os.path.exists(marker):
        os.remove(marker)
    hostile = ('{"event": {"dt": "2025-03-01 12:00:09+0000", "events_id": "clients.create", '
               '"object_id": 1043},\n "data": {"id": 1043, "name": "' + "\x7f" * 40
               + f'$(touch {marker}) \u202eevil\u0085 it\'s", "companies_id": 1}}}}').encode()
    request = urllib.request.Request(LISTEN + "/vcs?token=s3cret", data=hostile,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        print("hostile ->", response.status)
    browser.wait("document.querySelectorAll('#rows tr').length === 4", "the hostile request's row")
    browser.js("document.querySelector('#rows tr[data-n=\"4\"]').click()")
    browser.wait("document.getElementById('command-curl') !== null", "the hostile request's commands")
    shown = {name: browser.js(f"document.getElementById('command-{name}').textContent")
             for name in ("curl", "send")}
    print("curl command:", shown["curl"])
    check("the copied commands are printable ASCII or plain letters",
          all(not any(ord(c) < 0x20 or 0x7f <= ord(c) < 0xa0 or c in "\u202e\u2066\u2067\u2068\u2069\u200e\u200f"
                      for c in command) for command in shown.values()))
    # What the button puts on the clipboard, where this browser has one.
    try:
        browser.session, session = None, browser.session
        browser.call("Browser.grantPermissions", {"permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})
        browser.session = session
        browser.js("[...document.querySelectorAll('.actions button')].find(b => b.textContent === 'copy as curl').click()")
        time.sleep(0.3)
        copied = browser.call("Runtime.evaluate", {"expression": "navigator.clipboard.readText()",
                                                   "awaitPromise": True, "returnByValue": True})["result"].get("value")
    except RuntimeError as error:
        browser.session = session
        copied = None
        print("no clipboard here:", error)
    if copied is not None:
        check("the button copies the command the page shows", copied == shown["curl"])
    environment = dict(os.environ, LC_ALL="C")
    command = shown["curl"].replace("token=***", "token=s3cret")
    run = subprocess.run(["bash", "-c", command], capture_output=True, env=environment)
    print("curl ->", run.returncode, run.stdout.decode(errors="replace"), run.stderr.decode(errors="replace"))
    command = shown["send"].replace("token=***", "token=s3cret").replace("| jerahook send", f"| {BINARY} send")
    run = subprocess.run(["bash", "-c", command], capture_output=True, env=environment)
    print("send ->", run.returncode, run.stderr.decode(errors="replace").strip())
    browser.wait("document.querySelectorAll('#rows tr').length === 6", "the two requests the commands sent")
    for n, name in ((5, "curl"), (6, "send")):
        with urllib.request.urlopen(f"{PAGE}api/requests/{n}/body?token=s3cret") as response:
            received = response.read()
        check(f"the {name} command posts the body byte for byte", received == hostile)
    check("nothing in the body ran", not os.path.exists(marker))

    page_port = PAGE.rsplit(":", 1)[1].rstrip("/")
    listener.terminate()
    listener.wait()
    browser.wait("document.getElementById('live').className === 'live off'", "the page to notice the stop")
    print("listen stopped; the page says:", browser.js("document.getElementById('live').textContent"))
    listener, LISTEN, _ = start_listener(page_port)
    browser.wait("document.getElementById('live').className === 'live on'", "the page to reconnect")
    print("valid   ->", post("/vcs?token=s3cret", VALID))
    browser.wait("document.querySelectorAll('#rows tr').length === 1", "the new run's row")
    check("after a restart the page reconnects and shows the new run's requests",
          browser.js("document.querySelector('#rows tr').cells[2].textContent") == "✓")
finally:
    browser.close()
    listener.terminate()
    listener.wait()

print(f"screenshots: {OUT}/token.png {OUT}/list.png {OUT}/detail.png {OUT}/narrow.png")
sys.exit(1 if failed else 0)
