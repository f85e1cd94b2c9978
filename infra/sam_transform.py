"""Run the AWS SAM transform offline: infra/template.yaml in, plain CloudFormation JSON out.

    AWS_DEFAULT_REGION=eu-west-1 python infra/sam_transform.py infra/template.yaml build/t.json

No AWS account is needed: managed policies resolve from the translator's bundled map (this
template names none), and local CodeUris become placeholder s3:// URIs, as `sam package`
would make them. Exit status 1 with the SAM errors on stderr when the template is invalid.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml
from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

PLACEHOLDER_BUCKET = "placeholder-bucket"


class OfflinePolicyLoader:
    """Stands in for ManagedPolicyLoader, which would call iam:ListPolicies."""

    def load(self) -> dict[str, str]:
        return {}


class SamTransformError(ValueError):
    """The template does not survive the SAM transform."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("\n".join(messages))
        self.messages = messages


def _placeholder(code_uri: Any) -> Any:
    if isinstance(code_uri, str) and not code_uri.startswith("s3://"):
        name = Path(code_uri).name.removesuffix(".zip") or "code"
        return f"s3://{PLACEHOLDER_BUCKET}/{name}.zip"
    return code_uri


def rewrite_code_uris(template: dict[str, Any]) -> dict[str, Any]:
    """Point every local CodeUri (Globals and functions) at a placeholder S3 object."""
    globals_function = (template.get("Globals") or {}).get("Function") or {}
    if "CodeUri" in globals_function:
        globals_function["CodeUri"] = _placeholder(globals_function["CodeUri"])
    for resource in (template.get("Resources") or {}).values():
        if resource.get("Type") == "AWS::Serverless::Function":
            properties = resource.setdefault("Properties", {})
            if "CodeUri" in properties:
                properties["CodeUri"] = _placeholder(properties["CodeUri"])
    return template


def transform_text(text: str, parameters: dict[str, Any] | None = None) -> dict[str, Any]:
    """The transformed template; `parameters` are the values a deploy would pass."""
    try:
        template = rewrite_code_uris(yaml_parse(text))
    except yaml.YAMLError as exc:
        raise SamTransformError([f"not valid YAML: {exc}"]) from exc
    try:
        output: dict[str, Any] = transform(template, parameters or {}, OfflinePolicyLoader())
    except InvalidDocumentException as exc:
        raise SamTransformError([cause.message for cause in exc.causes]) from exc
    # Round-trip through JSON so the result holds plain dicts, lists and strings only.
    result: dict[str, Any] = json.loads(json.dumps(output, default=str))
    return result


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    source, destination = Path(argv[1]), Path(argv[2])
    try:
        output = transform_text(source.read_text())
    except SamTransformError as exc:
        for message in exc.messages:
            print(f"SAM error: {message}", file=sys.stderr)
        return 1
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.write_text(json.dumps(output, indent=2, sort_keys=True) + "\n")
    print(f"{source} -> {destination}: {len(output['Resources'])} resources")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
