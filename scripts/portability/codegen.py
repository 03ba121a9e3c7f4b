"""Loads the samples with the pydantic v2 models datamodel-code-generator made from three
event schemas, and checks that `data: []` fails where the schema says `data` is an object.

Usage: codegen.py GENERATED_DIR SAMPLES_DIR EVENT_ID...
Each EVENT_ID's model is GENERATED_DIR/<event id with _ for .>.py, root class `Payload`.
"""
import copy
import importlib.util
import json
import pathlib
import sys

import pydantic

generated, samples = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
failed = 0
for event in sys.argv[3:]:
    module_name = event.replace(".", "_")
    spec = importlib.util.spec_from_file_location(module_name, generated / f"{module_name}.py")
    module = importlib.util.module_from_spec(spec)
    # pydantic looks generic models' modules up by name.
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    payload = json.loads((samples / f"{event}.json").read_text())
    try:
        module.Payload.model_validate(payload)
    except pydantic.ValidationError as error:
        failed += 1
        print(f"datamodel-codegen: {event}: the sample does not load: {error}", file=sys.stderr)
    wrong = copy.deepcopy(payload)
    wrong["data"] = []
    try:
        module.Payload.model_validate(wrong)
        failed += 1
        print(f"datamodel-codegen: {event}: data [] loads", file=sys.stderr)
    except pydantic.ValidationError:
        pass
print(f"codegen: {len(sys.argv) - 3 - failed}/{len(sys.argv) - 3}")
sys.exit(1 if failed else 0)
