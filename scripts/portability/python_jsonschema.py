"""Python `jsonschema` (Draft202012Validator) on schemas/.

Usage: python_jsonschema.py SCHEMAS_DIR SAMPLES_DIR CORPUS VERDICTS_OUT

Prints one `check: result` line per check; writes one verdict (valid/invalid) per corpus line,
judged by vcs-event.schema.json with every file in one registry.
"""
import json
import pathlib
import sys

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from referencing import Registry, Resource

schemas, samples, corpus, out = (pathlib.Path(a) for a in sys.argv[1:5])
files = sorted(schemas.rglob("*.schema.json"))
failed = False

# Alone: the metaschema, then every reference resolved with nothing else loaded (validating
# the file's own examples walks every `$ref` they reach).
alone = 0
for path in files:
    schema = json.loads(path.read_text())
    try:
        Draft202012Validator.check_schema(schema)
        validator = Draft202012Validator(schema)
        for example in schema.get("examples", []):
            validator.validate(example)
        alone += 1
    except Exception as error:  # noqa: BLE001 - every failure is a finding to print
        print(f"python-jsonschema alone: {path}: {error}", file=sys.stderr)
print(f"alone: {alone}/{len(files)}")
failed |= alone != len(files)

# Together: one registry of every file, each schema resolving through it.
resources = [(json.loads(p.read_text())["$id"], Resource.from_contents(json.loads(p.read_text()))) for p in files]
registry = Registry().with_resources(resources)
together = True
for uri, resource in resources:
    try:
        Draft202012Validator(resource.contents, registry=registry)
        registry.resolver().lookup(uri)
    except Exception as error:  # noqa: BLE001
        together = False
        print(f"python-jsonschema together: {uri}: {error}", file=sys.stderr)
print(f"together: {'ok' if together else 'failed'}")
failed |= not together

base = "https://jerahook.dev/schemas/"
def validator(name):
    return Draft202012Validator(registry.contents(base + name), registry=registry)

# Samples: each by its event's schema and by the all-events schema.
all_events = validator("vcs-event.schema.json")
good = 0
sample_files = sorted(samples.glob("*.json"))
for path in sample_files:
    payload = json.loads(path.read_text())
    own = validator(f"{path.stem}.schema.json")
    if own.is_valid(payload) and all_events.is_valid(payload):
        good += 1
    else:
        print(f"python-jsonschema: {path} judged invalid", file=sys.stderr)
print(f"samples: {good}/{len(sample_files)}")
failed |= good != len(sample_files)

lines = [line for line in corpus.read_text().splitlines() if line.strip()]
out.write_text("".join("valid\n" if all_events.is_valid(json.loads(l)) else "invalid\n" for l in lines))
sys.exit(1 if failed else 0)
