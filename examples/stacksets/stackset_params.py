#!/usr/bin/env python3
"""The parameter list of a StackSet update: every parameter the StackSet has now is restated with
UsePreviousValue, except those given on the command line, and except those the new template no
longer declares (CloudFormation refuses a parameter the template lacks). Used by
4-update-stackset.sh; standard library only.

    stackset_params.py PREVIOUS.json TEMPLATE.yaml OUT.json [Key=Value ...]

PREVIOUS.json: `aws cloudformation describe-stack-set --query StackSet.Parameters` (a list of
{ParameterKey, ParameterValue}). TEMPLATE.yaml: the template the StackSet will have (the current one
with --use-previous-template). Writes the --parameters file to OUT.json and prints what it did.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path


def template_parameters(text: str) -> list[str]:
    """Parameter names of a CloudFormation template (YAML with a top-level Parameters: block, or JSON)."""
    stripped = text.lstrip()
    if stripped.startswith("{"):
        return list(json.loads(text).get("Parameters", {}))
    names, inside = [], False
    for line in text.splitlines():
        if re.match(r"^Parameters:\s*$", line):
            inside = True
            continue
        if inside and re.match(r"^\S", line) and not line.startswith("#"):
            break
        m = re.match(r"^  ([A-Za-z0-9]+):\s*$", line) if inside else None
        if m:
            names.append(m.group(1))
    return names


def parse_assignments(args: list[str]) -> dict[str, str]:
    """Key=Value arguments (the value may be empty, or hold '=')."""
    out = {}
    for arg in args:
        key, sep, value = arg.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z0-9]+", key):
            raise SystemExit(f"expected Key=Value, got {arg!r}")
        out[key] = value
    return out


def merge(previous: list[str], template: list[str], given: dict[str, str]) -> tuple[list[dict], list[str]]:
    """(the --parameters list, the previous parameters dropped because the template lacks them)."""
    unknown = [k for k in given if k not in template]
    if unknown:
        raise SystemExit(f"the template has no parameter {', '.join(unknown)}")
    params = [{"ParameterKey": k, "UsePreviousValue": True} for k in previous if k in template and k not in given]
    params += [{"ParameterKey": k, "ParameterValue": v} for k, v in given.items()]
    dropped = [k for k in previous if k not in template]
    return params, dropped


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        raise SystemExit(__doc__)
    previous = [p["ParameterKey"] for p in json.loads(Path(argv[0]).read_text() or "[]") or []]
    template = template_parameters(Path(argv[1]).read_text())
    if not template:
        raise SystemExit(f"{argv[1]}: no Parameters found")
    params, dropped = merge(previous, template, parse_assignments(argv[3:]))
    Path(argv[2]).write_text(json.dumps(params, indent=1))
    restated = [p["ParameterKey"] for p in params if p.get("UsePreviousValue")]
    print(f"restated (UsePreviousValue): {len(restated)}: {' '.join(restated)}")
    given = [f"{p['ParameterKey']}={p['ParameterValue']!r}" for p in params if "ParameterValue" in p]
    print(f"given: {' '.join(given) or 'none'}")
    if dropped:
        print(f"dropped (not in the template): {' '.join(dropped)}")
    named = {p["ParameterKey"] for p in params}
    new = [k for k in template if k not in previous and k not in named]
    if new:
        print(f"new in the template, at their defaults: {' '.join(new)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
