#!/usr/bin/env python3
"""Times jerahook against the validators users would pick instead, on this machine, in one run.

Workloads, generated from the catalog's documented payloads (examples/corpus.rs):
  (a) an NDJSON capture of N mixed payloads of all 27 events (1 in 100 invalid);
  (b) a directory of 2,000 payload files;
  (c) a 1 GB NDJSON capture, for peak memory (generated, never committed);
  (d) one small file, for start-up time.

Every tool gets the same schemas: jerahook's own, combined into one schema that dispatches on
events_id where a tool takes a single schema. Peers are installed under target/bench-tools
(cargo, pip, npm) unless --no-install; a peer that is missing is left out of the table.
The commands of a table run in turn, --runs rounds of them, so that a machine busy with other
work slows them alike; each figure is the median of its runs; peak RSS is the child's maximum
resident set. The parse ceiling is scripts/ceiling: serde_json with its default features, built
apart from jerahook, as a user's own parse loop would be. The goals are printed at the end with
the ratios measured in this run.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "target" / "bench"
TOOLS = ROOT / "target" / "bench-tools"
CORES = os.cpu_count() or 1


def run(cmd, **kwargs):
    subprocess.run(cmd, check=True, **kwargs)


CEILING = ROOT / "target" / "ceiling" / "release" / "parse-ceiling"


def build():
    run(["cargo", "build", "--release", "--quiet", "--bin", "jerahook", "--examples"], cwd=ROOT)
    run(["cargo", "build", "--release", "--quiet", "--locked", "--manifest-path",
         str(ROOT / "scripts" / "ceiling" / "Cargo.toml"), "--target-dir", str(ROOT / "target" / "ceiling")])


def install_peers():
    """Installs the peer validators under target/bench-tools; failures leave a peer out."""
    TOOLS.mkdir(parents=True, exist_ok=True)
    steps = [
        (TOOLS / "bin" / "jsonschema-cli",
         ["cargo", "install", "--quiet", "--root", str(TOOLS), "jsonschema-cli"]),
        (TOOLS / "venv" / "bin" / "check-jsonschema",
         f"{sys.executable} -m venv {TOOLS / 'venv'} && "
         f"{TOOLS / 'venv' / 'bin' / 'pip'} install --quiet check-jsonschema"),
        (TOOLS / "npm" / "node_modules" / ".bin" / "ajv",
         ["npm", "install", "--silent", "--prefix", str(TOOLS / "npm"),
          "ajv-cli", "ajv-formats", "@sourcemeta/jsonschema"]),
    ]
    for done, step in steps:
        if done.exists():
            continue
        print(f"installing: {step if isinstance(step, str) else ' '.join(step)}", file=sys.stderr)
        try:
            subprocess.run(step, check=True, shell=isinstance(step, str))
        except (subprocess.CalledProcessError, FileNotFoundError) as error:
            print(f"  not installed ({error}); left out", file=sys.stderr)


def peer(path):
    path = TOOLS / path
    return str(path) if path.exists() else None


def sourcemeta():
    """The native binary the @sourcemeta/jsonschema package ships, run without node."""
    releases = TOOLS / "npm" / "node_modules" / "@sourcemeta" / "jsonschema" / "build" / "github-releases"
    binary = releases / "jsonschema-linux-x86_64"
    return str(binary) if binary.exists() else None


# Names the mix of examples/corpus.rs in cached workloads, so a change of mix regenerates them.
MIX = "imports-1pc"


def cpu_model():
    for line in Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []:
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return os.uname().machine


def generate(payloads):
    corpus_tool = ROOT / "target" / "release" / "examples" / "corpus"
    WORK.mkdir(parents=True, exist_ok=True)
    corpus = WORK / f"corpus-{payloads}-{MIX}.ndjson"
    if not corpus.exists():
        run([corpus_tool, "ndjson", str(payloads), corpus])
    # sourcemeta picks the format by the file's extension (following symlinks): a hard link.
    jsonl = WORK / f"corpus-{payloads}-{MIX}.jsonl"
    if jsonl.is_symlink():
        jsonl.unlink()
    if not jsonl.exists():
        os.link(corpus, jsonl)
    directory = WORK / f"dir-2000-{MIX}"
    if not directory.exists():
        run([corpus_tool, "dir", "2000", directory])
    schema = WORK / "all.schema.json"
    run([corpus_tool, "dispatch", schema])
    return corpus, jsonl, directory, schema


def big_capture(corpus, gigabytes):
    """Copies of the corpus up to the size asked for."""
    big = WORK / f"capture-{gigabytes}g-{MIX}.ndjson"
    target = int(gigabytes * 1e9)
    if not big.exists() or big.stat().st_size < target:
        # Streamed, so this process stays small (children's peak RSS is measured).
        with open(big, "wb") as out:
            written = 0
            while written < target:
                with open(corpus, "rb") as part:
                    shutil.copyfileobj(part, out, 1 << 20)
                written += corpus.stat().st_size
    return big


GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None


def measure_all(named, runs):
    """Rows (name, median wall seconds, largest peak RSS in MB) for `named` (name, command)
    pairs, run in turn, `runs` rounds.

    Peak RSS comes from GNU time where it is installed: a child forked from this Python
    process would otherwise count Python's own pages in its peak."""
    times = {name: [] for name, _ in named}
    cpus = {name: [] for name, _ in named}
    peaks = {name: [] for name, _ in named}
    report = WORK / "rss.txt"
    for _ in range(runs):
        for name, cmd in named:
            wrapped = [GNU_TIME, "-f", "%M", "-o", str(report), *cmd] if GNU_TIME else cmd
            started = time.perf_counter()
            child = subprocess.Popen(wrapped, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            _, _, usage = os.wait4(child.pid, 0)
            times[name].append(time.perf_counter() - started)
            cpus[name].append(usage.ru_utime + usage.ru_stime)
            if GNU_TIME:
                peaks[name].append(int(report.read_text().split()[-1]) / 1024)
            else:
                peaks[name].append(usage.ru_maxrss / 1024)
    CPU.update((name, statistics.median(cpus[name])) for name, _ in named)
    return [(name, statistics.median(times[name]), max(peaks[name])) for name, _ in named]


# Median CPU seconds (user + system) by row name: on a machine busy with other work, wall time
# includes waiting for a core, CPU time does not.
CPU = {}


def measure(cmd, runs):
    """Median wall seconds and the largest peak RSS (MB) of one command over `runs` runs."""
    return measure_all([("", cmd)], runs)[0][1:]


def load():
    return " / ".join(f"{figure:.2f}" for figure in os.getloadavg())


def table(title, rows, payloads, size, reference):
    print(f"\n### {title}\n")
    print("| tool | seconds | CPU seconds | payloads/s | MB/s | peak RSS (MB) | time / jerahook |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    ref = dict((name, seconds) for name, seconds, _ in rows).get(reference)
    for name, seconds, peak in rows:
        ratio = f"{seconds / ref:.2f}" if ref else "-"
        print(f"| {name} | {seconds:.3f} | {CPU.get(name, 0):.3f} | {payloads / seconds:,.0f} | "
              f"{size / 1e6 / seconds:,.0f} | {peak:,.0f} | {ratio} |")


def vm(pid, field):
    """A memory figure of a running process from /proc, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def listen_bench(jerahook, payloads):
    """`listen --save` on loopback, driven by `send --concurrency 16`."""
    corpus_tool = ROOT / "target" / "release" / "examples" / "corpus"
    corpus = WORK / f"listen-{payloads}.ndjson"
    run([corpus_tool, "ndjson", str(payloads), corpus])
    save = WORK / "listen-save.ndjson"
    save.unlink(missing_ok=True)
    server = subprocess.Popen(
        [jerahook, "listen", "--addr", "127.0.0.1:0", "--save", str(save), "--format", "json"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    banner = server.stderr.readline()
    url = "http://" + banner.split("http://")[1].split()[0]
    rss = [vm(server.pid, "VmRSS")]
    started = time.perf_counter()
    sender = subprocess.Popen(
        [jerahook, "send", str(corpus), "--to", url, "--concurrency", "16", "--format", "json"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    latencies, statuses = [], {}
    for line in sender.stdout:
        record = __import__("json").loads(line)
        if record.get("latency_ms") is not None:
            latencies.append(record["latency_ms"])
        statuses[record.get("status")] = statuses.get(record.get("status"), 0) + 1
        if len(latencies) % max(payloads // 4, 1) == 0:
            rss.append(vm(server.pid, "VmRSS"))
    sender.wait()
    seconds = time.perf_counter() - started
    rss.append(vm(server.pid, "VmRSS"))
    peak = vm(server.pid, "VmHWM")
    server.send_signal(__import__("signal").SIGINT)
    server.wait()
    saved = sum(1 for _ in open(save))
    latencies.sort()
    pick = lambda p: latencies[min(len(latencies) - 1, max(0, int(round(p / 100 * len(latencies))) - 1))]
    print(f"\n### (e) listen --save on loopback, driven by send --concurrency 16\n")
    GOALS.append((f"`listen --save` >= 5,000 payloads/s with p99 < 10 ms",
                  f"{payloads / seconds:,.0f} payloads/s, p99 {pick(99):.2f} ms",
                  payloads / seconds >= 5000 and pick(99) < 10))
    print(f"{payloads:,} mixed payloads in {seconds:.2f} s: {payloads / seconds:,.0f} payloads/s; "
          f"latency p50 {pick(50):.2f} ms, p99 {pick(99):.2f} ms (seen by the sender); "
          f"statuses {statuses}; {saved:,} lines saved; listen RSS over the run "
          f"{' → '.join(f'{r:.0f}' for r in rss)} MB, peak {peak:.0f} MB")


# (goal, measured, met) for the summary at the end.
GOALS = []


def seconds_of(rows, name):
    return next(seconds for row_name, seconds, _ in rows if row_name == name)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--payloads", type=int, default=200_000, help="payloads in the NDJSON corpus")
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (the median is shown)")
    parser.add_argument("--big-gb", type=float, default=1.0, help="size of the memory test capture; 0 skips it")
    parser.add_argument("--listen-payloads", type=int, default=20_000,
                        help="payloads sent to `listen` in the HTTP benchmark; 0 skips it")
    parser.add_argument("--no-install", action="store_true", help="do not install missing peers")
    args = parser.parse_args()

    build()
    if not args.no_install:
        install_peers()
    corpus, jsonl, directory, schema = generate(args.payloads)
    jerahook = str(ROOT / "target" / "release" / "jerahook")
    parse_lines = str(ROOT / "target" / "release" / "examples" / "parse_lines")
    files = sorted(str(p) for p in directory.iterdir())
    dir_size = sum(os.path.getsize(f) for f in files)
    print(f"machine: {CORES} cores, {cpu_model()}; corpus: {args.payloads:,} payloads, "
          f"{corpus.stat().st_size / 1e6:.0f} MB; directory: {len(files):,} files, {dir_size / 1e6:.1f} MB; "
          f"median of {args.runs} runs")

    one, two = "jerahook validate -j1 -q", f"jerahook validate -j{CORES} -q"
    ceiling = "serde_json parse to Value, 1 thread (scripts/ceiling)"
    named = [
        ("cat (read the file)", ["cat", str(corpus)]),
        (ceiling, [str(CEILING), str(corpus)]),
        ("serde_json parse, preserve_order as jerahook builds it (examples/parse_lines)",
         [parse_lines, str(corpus)]),
        (one, [jerahook, "validate", "-j1", "-q", str(corpus)]),
        (two, [jerahook, "validate", f"-j{CORES}", "-q", str(corpus)]),
        ("jerahook validate -j1 --format json", [jerahook, "validate", "-j1", "--format", "json", str(corpus)]),
    ]
    if sourcemeta():
        named.append(("sourcemeta jsonschema validate --fast",
                      [sourcemeta(), "validate", "--fast", "--continue", str(schema), str(jsonl)]))
    print(f"load average before (a): {load()}")
    rows = measure_all(named, args.runs)
    table("(a) NDJSON capture", rows, args.payloads, corpus.stat().st_size, one)
    share = seconds_of(rows, ceiling) / seconds_of(rows, one)
    GOALS.append(("one thread >= 0.8 of a bare serde_json parse",
                  f"{share:.2f} ({seconds_of(rows, one):.3f} s against {seconds_of(rows, ceiling):.3f} s; "
                  f"by CPU time {CPU[ceiling] / CPU[one]:.2f})",
                  share >= 0.8))
    if CORES >= 2:
        speedup = seconds_of(rows, one) / seconds_of(rows, two)
        GOALS.append((f"-j{CORES} >= 1.8x -j1", f"{speedup:.2f}x", speedup >= 1.8))

    named = [
        ("jerahook validate -q", [jerahook, "validate", "-q", str(directory)]),
        ("jerahook validate --format json", [jerahook, "validate", "--format", "json", str(directory)]),
    ]
    cli = "jsonschema-cli (formats asserted)"
    if peer("bin/jsonschema-cli"):
        cmd = [peer("bin/jsonschema-cli"), "validate", "--assert-format", str(schema)]
        for f in files:
            cmd += ["--instance", f]
        named.append((cli, cmd))
    if sourcemeta():
        named.append(("sourcemeta jsonschema validate --fast",
                      [sourcemeta(), "validate", "--fast", "--continue", str(schema), str(directory)]))
    if peer("npm/node_modules/.bin/ajv"):
        named.append(("ajv-cli + ajv-formats",
                      [peer("npm/node_modules/.bin/ajv"), "validate", "--spec=draft2020", "--strict=false",
                       "-c", "ajv-formats", "-s", str(schema), "-d", f"{directory}/*.json"]))
    if peer("venv/bin/check-jsonschema"):
        named.append(("check-jsonschema", [peer("venv/bin/check-jsonschema"), "--schemafile", str(schema), *files]))
    print(f"\nload average before (b): {load()}")
    rows = measure_all(named, max(args.runs, 15))
    table("(b) directory of 2,000 payload files", rows, len(files), dir_size, "jerahook validate -q")
    if peer("bin/jsonschema-cli"):
        ahead = seconds_of(rows, cli) / seconds_of(rows, "jerahook validate -q")
        GOALS.append(("directory of 2,000 files faster than jsonschema-cli",
                      f"jsonschema-cli takes {ahead:.2f}x jerahook's time "
                      f"({seconds_of(rows, cli) * 1000:.1f} ms against "
                      f"{seconds_of(rows, 'jerahook validate -q') * 1000:.1f} ms)", ahead > 1))

    if args.big_gb > 0:
        big = big_capture(corpus, args.big_gb)
        payloads = args.payloads * (big.stat().st_size // corpus.stat().st_size)
        rows = measure_all([
            ("jerahook validate -j1 -q", [jerahook, "validate", "-j1", "-q", str(big)]),
            (f"jerahook validate -j{CORES} -q", [jerahook, "validate", f"-j{CORES}", "-q", str(big)]),
        ], 1)
        table(f"(c) {big.stat().st_size / 1e9:.2f} GB NDJSON capture (1 run)", rows, payloads,
              big.stat().st_size, f"jerahook validate -j{CORES} -q")
        peak = max(peak for _, _, peak in rows)
        GOALS.append((f"peak RSS < 100 MB on a {big.stat().st_size / 1e9:.2f} GB capture",
                      f"{peak:.0f} MB", peak < 100))

    if args.listen_payloads > 0:
        listen_bench(jerahook, args.listen_payloads)

    small = ROOT / "samples" / "clients.create.json"
    seconds, peak = measure([jerahook, "validate", str(small)], max(args.runs, 20))
    print(f"\n### (d) one small file\n\n`jerahook validate samples/clients.create.json`: "
          f"{seconds * 1000:.1f} ms wall from start to exit (median of {max(args.runs, 20)}), "
          f"peak RSS {peak:.0f} MB")
    GOALS.append(("one small file < 10 ms", f"{seconds * 1000:.1f} ms", seconds < 0.010))

    print(f"\n### Goals (load average at the end: {load()})\n")
    print("| goal | measured in this run | met |")
    print("|---|---|---|")
    for goal, measured, met in GOALS:
        print(f"| {goal} | {measured} | {'yes' if met else 'no'} |")


if __name__ == "__main__":
    main()
