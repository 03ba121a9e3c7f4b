#!/usr/bin/env python3
"""Times one hostile payload at a time through the release binary: every kind of finding a
payload can carry by the thousand, at two sizes ten times apart, so that work growing faster
than the payload shows as a ratio well above 10.

    cargo build --release
    scripts/hostile_bench.py [path/to/jerahook] [--runs N]

Cases (each one payload, written compact on one line, as VCS posts them):
  extra-keys N        N top-level keys beside "event" and "data" (N warnings, 100 shown)
  repeated-keys N     one object of data with N members all named "k" (duplicate-key warnings)
  wrong-items N       data.tags of accounting.charges.create with N numbers (schema errors)
  closed-object N     N members in data where a schema (--schemas) forbids other properties
  undocumented N      N fields in data the catalog does not document (--undocumented)
  deep-repeats N      N repeated keys in an object 120 levels deep

Each case runs through `validate`, `validate --format json`, `inspect` and, where it applies,
`validate --undocumented`, `validate --strict` or `validate -q --by-event`. A figure is the
median wall time of --runs runs, output sent to /dev/null. Runs over 60 s are stopped.
"""

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "target" / "hostile-bench"
ENVELOPE = {
    "dt": "2022-07-14T13:12:02+00:00",
    "events_id": "clients.create",
    "object_id": 12,
}
DATA = {"id": 12, "name": "n", "companies_id": 3}


def compact(value):
    return json.dumps(value, separators=(",", ":"))


def extra_keys(n):
    payload = {"event": ENVELOPE, "data": DATA}
    payload.update((f"k{i}", 0) for i in range(n))
    return compact(payload)


def repeated_keys(n):
    inner = ",".join(f'"k":{i}' for i in range(n))
    text = compact({"event": ENVELOPE, "data": dict(DATA, x={})})
    return text.replace('"x":{}', '"x":{' + inner + "}")


def wrong_items(n):
    payload = {
        "event": dict(ENVELOPE, events_id="accounting.charges.create", object_id="2220"),
        "data": json.loads(
            subprocess.run(
                [BINARY, "sample", "accounting.charges.create"],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )["data"],
    }
    payload["data"]["tags"] = list(range(n))
    return compact(payload)


def many_fields(n):
    return compact({"event": ENVELOPE, "data": dict(DATA, **{f"f{i}": 0 for i in range(n)})})


def deep_repeats(n):
    inner = "{" + ",".join(f'"k":{i}' for i in range(n)) + "}"
    nested = '{"a":' * 120 + inner + "}" * 120
    text = compact({"event": ENVELOPE, "data": dict(DATA, x=0)})
    return text.replace('"x":0', '"x":' + nested)


def closed_schemas():
    """The built-in schemas, with data of clients.create closed to other properties."""
    folder = WORK / "closed-schemas"
    if not folder.exists():
        subprocess.run([BINARY, "schema", "--write", str(folder)], check=True, capture_output=True)
        path = folder / "clients.create.schema.json"
        schema = json.loads(path.read_text())
        schema["properties"]["data"]["additionalProperties"] = False
        path.write_text(json.dumps(schema, indent=2))
    return str(folder)


def time_run(args, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        try:
            subprocess.run(
                args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60
            )
        except subprocess.TimeoutExpired:
            return None
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    global BINARY
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("binary", nargs="?", default=str(ROOT / "target/release/jerahook"))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    BINARY = args.binary
    WORK.mkdir(parents=True, exist_ok=True)
    closed = ["--schemas", closed_schemas()]
    modes = {
        "validate": ["validate"],
        "json": ["validate", "--format", "json"],
        "inspect": ["inspect"],
    }
    cases = [
        ("extra-keys", extra_keys, {"strict": ["validate", "--strict"]}),
        ("repeated-keys", repeated_keys, {}),
        ("wrong-items", wrong_items, {"by-event": ["validate", "-q", "--by-event"]}),
        ("closed-object", many_fields, {}),
        ("undocumented", many_fields, {"undoc": ["validate", "--undocumented"]}),
        ("deep-repeats", deep_repeats, {}),
    ]
    sizes = (12_000, 120_000)
    print(f"{BINARY}, median of {args.runs} runs, seconds (KB: payload size)")
    print(f"{'case':<15}{'mode':<10}" + "".join(f"{n:>16,}" for n in sizes) + "   ratio")
    for name, make, extra in cases:
        files = []
        for n in sizes:
            path = WORK / f"{name}-{n}.json"
            path.write_text(make(n) + "\n")
            files.append(path)
        for mode, command in {**modes, **extra}.items():
            if name == "closed-object":
                command = command + closed
            cells, times = [], []
            for path in files:
                seconds = time_run([BINARY, *command, str(path)], args.runs)
                times.append(seconds)
                size = path.stat().st_size // 1000
                shown = "  >60" if seconds is None else f"{seconds:7.3f}"
                cells.append(f"{shown} ({size:>5} KB)")
            ratio = (
                f"{times[1] / times[0]:7.1f}" if None not in times and times[0] > 0 else "      -"
            )
            print(f"{name:<15}{mode:<10}" + "".join(f"{c:>16}" for c in cells) + ratio)
            sys.stdout.flush()


if __name__ == "__main__":
    main()
