#!/usr/bin/env python3
"""Transforms sam/template.yaml offline with the SAM translator, as CloudFormation's
AWS::Serverless-2016-10-31 transform would, for a made-up account and region, and checks the result.

    .venv/bin/python sam/translate.py OUT.json [--region eu-west-1] [--account 123456789012]

Checks: the translator reports no error; no Transform is left; the provider function
(AWS::Lambda::Function "Function", provided.al2023, handler bootstrap) and every parameter, resource
and output of cfn/provider.yaml come out; the AWS::ServerlessRepo::Application metadata is kept.
Writes the transformed template to OUT.json, for cfn-lint (scripts/check-templates). Needs the
project venv (scripts/venv): cfn-lint brings samtranslator. No AWS call is made.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def translate(template: dict, region: str, account: str) -> dict:
    """The template after the SAM transform, for `region` (its partition) and `account`."""
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.parser import parser
    from samtranslator.translator.arn_generator import ArnGenerator
    from samtranslator.translator.translator import Translator

    # The translator takes the region from the default AWS mechanisms; nothing is called.
    os.environ["AWS_DEFAULT_REGION"] = region
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    partition = ArnGenerator.get_partition_name(region)
    pseudo = {"AWS::Region": region, "AWS::AccountId": account, "AWS::Partition": partition}
    translator = Translator(managed_policy_map={}, sam_parser=parser.Parser())
    try:
        return translator.translate(sam_template=template, parameter_values=pseudo, passthrough_metadata=True)
    except InvalidDocumentException as e:
        raise SystemExit("SAM translator errors:\n" + "\n".join(f"  - {c.message}" for c in e.causes)) from e


def check(transformed: dict, sam: dict, provider: dict) -> list[str]:
    """What is wrong with the transformed template; empty when it is right."""
    problems = []
    if "Transform" in transformed:
        problems.append("a Transform is left after the transform")
    fn = transformed.get("Resources", {}).get("Function", {})
    if fn.get("Type") != "AWS::Lambda::Function":
        problems.append("no AWS::Lambda::Function 'Function' in the output")
    else:
        props = fn.get("Properties", {})
        if props.get("Runtime") != "provided.al2023" or props.get("Handler") != "bootstrap":
            problems.append(f"the function is not the provider's: {props.get('Runtime')}, {props.get('Handler')}")
    for section in ("Parameters", "Resources", "Outputs", "Conditions", "Rules"):
        missing = set(provider.get(section, {})) - set(transformed.get(section, {}))
        if missing:
            problems.append(f"{section} of cfn/provider.yaml missing after the transform: {sorted(missing)}")
    app = transformed.get("Metadata", {}).get("AWS::ServerlessRepo::Application")
    if not app or app != sam.get("Metadata", {}).get("AWS::ServerlessRepo::Application"):
        problems.append("the AWS::ServerlessRepo::Application metadata did not come through")
    return problems


def main(argv: list[str] | None = None) -> int:
    from cfnlint.decode import decode

    parser_ = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser_.add_argument("output", type=Path, help="where to write the transformed template (JSON)")
    parser_.add_argument("--template", type=Path, default=ROOT / "sam" / "template.yaml")
    parser_.add_argument("--region", default="eu-west-1")
    parser_.add_argument("--account", default="123456789012")
    args = parser_.parse_args(argv)

    sam, matches = decode(str(args.template))
    if sam is None or matches:
        raise SystemExit(f"{args.template} does not parse: {matches}")
    provider, matches = decode(str(ROOT / "cfn" / "provider.yaml"))
    if provider is None or matches:
        raise SystemExit(f"cfn/provider.yaml does not parse: {matches}")
    transformed = translate(json.loads(json.dumps(sam, default=str)), args.region, args.account)
    problems = check(transformed, sam, provider)
    if problems:
        print("\n".join(f"sam/translate.py: {p}" for p in problems), file=sys.stderr)
        return 1
    args.output.write_text(json.dumps(transformed, indent=1, default=str))
    resources = transformed["Resources"]
    print(f"SAM transform ({args.region}, {args.account}): no errors, {len(resources)} resources "
          f"including the provider function, written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
