// The inspector page. Everything that comes from a request (bodies, headers, event ids,
// messages) is attacker-controlled: it only ever enters the page as text (textContent or text
// nodes), never as markup.
"use strict";

const token = new URLSearchParams(location.search).get("token");
const state = { entries: [], last: 0, selected: null, info: null, refreshing: null };
const $ = (id) => document.getElementById(id);

// An API URL, with the page's token when it has one.
function api(path, params) {
  const query = new URLSearchParams(params || {});
  if (token) query.set("token", token);
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

// An element with attributes and children; strings become text nodes.
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

async function getJson(url, options) {
  const response = await fetch(url, options);
  const body = await response.json();
  if (!response.ok) {
    const problem = new Error(body.error || `HTTP ${response.status}`);
    problem.status = response.status;
    throw problem;
  }
  return body;
}

function filters() {
  const params = {};
  const event = $("f-event").value.trim();
  const verdict = $("f-verdict").value;
  const text = $("f-text").value;
  if (event) params.event = event;
  if (verdict) params.verdict = verdict;
  if (text) params.q = text;
  return params;
}

const marks = { valid: "✓", invalid: "✗", refused: "refused" };

function shown(value) {
  if (value === null || value === undefined) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

function latency(ms) {
  return ms === null || ms === undefined ? "" : `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
}

function forwardCell(entry) {
  if (entry.forward_error) return entry.forward_error;
  return entry.forward_status === null ? "" : String(entry.forward_status);
}

function row(entry) {
  const tr = el("tr", { class: entry.verdict, "data-n": entry.n, onclick: () => select(entry.n) },
    el("td", { class: "num muted" }, entry.n),
    el("td", { title: entry.received_at }, entry.clock),
    el("td", { class: "mark", title: entry.message || entry.verdict }, marks[entry.verdict]),
    el("td", {}, entry.event === null ? (entry.verdict === "refused" ? entry.message : "(no event id)") : entry.event),
    el("td", {}, shown(entry.object_id)),
    el("td", { class: entry.reply_status < 300 ? "ok" : "bad" }, entry.reply_status),
    el("td", {}, forwardCell(entry)),
    el("td", { class: "num" }, latency(entry.latency_ms)));
  if (entry.n === state.selected) tr.classList.add("selected");
  return tr;
}

function render() {
  const rows = $("rows");
  rows.replaceChildren(...state.entries.map(row));
  $("empty").hidden = state.entries.length > 0;
  $("count").textContent = `${state.entries.length} shown`;
  const events = new Set(state.entries.map((e) => e.event).filter((e) => e));
  $("events").replaceChildren(...[...events].sort().map((e) => el("option", { value: e })));
  $("dl-selection").href = api("/api/capture", filters());
  $("dl-all").href = api("/api/capture");
}

// The whole list again (filters changed, the stream reconnected or fell behind).
async function reload() {
  try {
    const list = await getJson(api("/api/requests", filters()));
    state.entries = list.requests;
    state.last = list.last;
    render();
  } catch (error) {
    $("count").textContent = `list: ${error.message}`;
  }
}

// What arrived since the last look; many events in a burst make one request.
function refreshSoon() {
  if (state.refreshing) return;
  state.refreshing = setTimeout(async () => {
    state.refreshing = null;
    try {
      const list = await getJson(api("/api/requests", { ...filters(), after: state.last }));
      state.last = Math.max(state.last, list.last);
      state.entries = list.requests.concat(state.entries).slice(0, list.capacity);
      render();
    } catch (error) {
      $("count").textContent = `list: ${error.message}`;
    }
  }, 150);
}

function listen() {
  const live = $("live");
  const stream = new EventSource(api("/api/events"));
  stream.addEventListener("open", () => {
    live.textContent = "live";
    live.className = "live on";
    reload();
  });
  stream.addEventListener("error", () => {
    live.textContent = "reconnecting…";
    live.className = "live off";
  });
  stream.addEventListener("request", refreshSoon);
  stream.addEventListener("lagged", reload);
}

function select(n) {
  if (location.hash !== `#/requests/${n}`) location.hash = `#/requests/${n}`;
  else showDetail(n);
}

function section(title, ...content) {
  return [el("h3", {}, title), ...content];
}

function issueList(detail) {
  const items = [];
  const add = (issue, kind, index) => items.push(el("li", {
    class: kind,
    onclick: () => {
      const target = document.querySelector(`[data-issue="${index}"]`);
      if (target) target.scrollIntoView({ block: "center" });
    },
  }, el("span", { class: "kind" }, kind), " ", el("span", { class: "code" }, `${issue.path || "(document)"} · ${issue.code}`), " ", issue.message));
  detail.errors.forEach((issue, i) => add(issue, "error", i));
  detail.warnings.forEach((issue, i) => add(issue, "warning", detail.errors.length + i));
  return items.length ? el("ul", { class: "issues", id: "issues" }, items) : el("p", { class: "muted" }, "No errors or warnings.");
}

function prettyBody(detail) {
  const issues = detail.errors.concat(detail.warnings);
  return el("pre", { id: "pretty" }, detail.pretty.map((segment) => {
    if (segment.issue === null) return segment.text;
    const issue = issues[segment.issue];
    const kind = segment.issue < detail.errors.length ? "error" : "warning";
    return el("mark", { class: kind, title: issue.message, "data-issue": segment.issue }, segment.text);
  }));
}

// Copies `text`, which the page also shows (under "commands"): what is copied can be read
// before it is pasted.
function copyButton(label, text) {
  const button = el("button", { type: "button", title: "copies the command shown under \"commands\"" }, label);
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = "copied";
    } catch {
      button.textContent = "select the text below";
    }
    setTimeout(() => { button.textContent = label; }, 1500);
  });
  return button;
}

function replayBox(detail) {
  const forward = state.info && state.info.forward_to;
  const input = el("input", { type: "url", id: "replay-url", value: "", placeholder: forward ? `--forward-to (${forward})` : "http://127.0.0.1:8080/handler" });
  const result = el("pre", { id: "replay-result", hidden: true });
  const button = el("button", { type: "button", id: "replay" }, "replay");
  button.addEventListener("click", async () => {
    result.hidden = false;
    result.textContent = "sending…";
    try {
      const answer = await getJson(api(`/api/requests/${detail.n}/replay`), {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(input.value ? { url: input.value } : {}),
      });
      const r = answer.result;
      result.textContent = `${answer.url}\n${r.error ? r.error : r.status} · ${latency(r.latency_ms)}\n${r.body}`;
    } catch (error) {
      result.textContent = `replay: ${error.message}`;
    }
  });
  return [el("div", { class: "actions" }, input, button), result];
}

function renderDetail(detail) {
  const pane = $("detail");
  const parts = [];
  const title = detail.event || (detail.verdict === "refused" ? "refused" : "(no event id)");
  parts.push(el("h2", { class: detail.verdict }, el("span", { class: "mark" }, marks[detail.verdict]), " ", `#${detail.n} `, title));
  parts.push(el("p", { class: "muted" }, `${detail.received_at} · ${detail.method} ${detail.path} from ${detail.remote_addr} · ${detail.size} bytes`));
  if (detail.refusal) {
    parts.push(...section("Refused", el("p", { id: "refusal" }, `${detail.refusal.reason}: ${detail.refusal.message}`)));
  }
  if (detail.inspect) parts.push(...section("Summary", el("pre", { id: "inspect" }, detail.inspect)));
  if (detail.verdict !== "refused") parts.push(...section("Errors and warnings", issueList(detail)));
  if (detail.pretty) parts.push(...section("Body", prettyBody(detail)));
  if (detail.body) {
    const note = detail.body_truncated
      ? el("p", { class: "note" }, `Shown cut at ${detail.body.length} characters of ${detail.size} bytes. `, el("a", { href: api(detail.body_url), download: true }, "Download the whole body"))
      : null;
    parts.push(...section("Raw body", note, el("pre", { id: "raw" }, detail.body)));
  }
  parts.push(...section("Request headers", el("table", { class: "headers" }, detail.headers.map(([name, value]) => el("tr", {}, el("td", {}, name), el("td", {}, value))))));
  parts.push(...section(`Reply · ${detail.reply.status}`, el("pre", { id: "reply" }, detail.reply.body)));
  if (detail.forward) {
    const f = detail.forward;
    parts.push(...section(`Handler · ${f.error || f.status} · ${latency(f.latency_ms)}`, el("pre", { id: "forward" }, f.body)));
  }
  if (detail.commands) {
    parts.push(...section("Actions",
      ...replayBox(detail),
      el("div", { class: "actions" },
        copyButton("copy as curl", detail.commands.curl),
        copyButton("copy as jerahook send", detail.commands.send),
        el("a", { class: "button", href: api(detail.body_url), download: true }, "download body"),
        el("a", { class: "button", href: api("/api/capture", { n: detail.n }), download: true }, "download as capture line")),
      el("details", { id: "commands" }, el("summary", {}, "commands"),
        el("pre", { id: "command-curl" }, detail.commands.curl),
        el("pre", { id: "command-send" }, detail.commands.send))));
  }
  pane.replaceChildren(...parts);
  pane.hidden = false;
  document.querySelector("main").classList.add("split");
}

async function showDetail(n) {
  state.selected = n;
  for (const tr of $("rows").children) tr.classList.toggle("selected", Number(tr.dataset.n) === n);
  try {
    renderDetail(await getJson(api(`/api/requests/${n}`)));
  } catch (error) {
    $("detail").replaceChildren(el("p", { class: "muted" }, `request ${n}: ${error.message}`));
    $("detail").hidden = false;
  }
}

// The listener was started with --token: the page asks for it, then reloads with it.
function askToken() {
  const input = el("input", { type: "password", id: "token", autocomplete: "off", "aria-label": "token" });
  const form = el("form", { id: "token-form" },
    el("label", { for: "token" }, token ? "Wrong token. The listener's --token: " : "This listener has a --token. Enter it: "),
    input, el("button", { type: "submit" }, "open"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const query = new URLSearchParams(location.search);
    query.set("token", input.value);
    location.search = query.toString();
  });
  $("where").replaceChildren(form);
  $("live").textContent = "locked";
  input.focus();
}

function route() {
  const match = /^#\/requests\/(\d+)$/.exec(location.hash);
  if (match) showDetail(Number(match[1]));
}

async function start() {
  try {
    state.info = await getJson(api("/api/info"));
    $("where").textContent = `payloads to ${state.info.listen_url}${state.info.forward_to ? ` → ${state.info.forward_to}` : ""} · keeps the last ${state.info.history.capacity}`;
  } catch (error) {
    if (error.status === 401) return askToken();
    $("where").textContent = error.message;
  }
  let typing = null;
  const changed = () => { clearTimeout(typing); typing = setTimeout(reload, 200); };
  $("f-event").addEventListener("input", changed);
  $("f-text").addEventListener("input", changed);
  $("f-verdict").addEventListener("change", reload);
  $("filters").addEventListener("submit", (event) => event.preventDefault());
  window.addEventListener("hashchange", route);
  await reload();
  route();
  listen();
}

start();
