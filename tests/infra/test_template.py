"""infra/template.yaml passes every offline stage: cfn-lint, SAM transform, rules, checkov."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from infra.sam_transform import SamTransformError, transform_text
from tests.infra import pipeline
from tests.infra.cfn import ROOT, TEMPLATE, resources


@pytest.mark.parametrize("stage", pipeline.STAGES)
def test_the_template_passes_every_stage(clean_run: pipeline.PipelineResult, stage: str) -> None:
    assert [r.stage for r in clean_run.results] == list(pipeline.STAGES)
    assert clean_run.messages(stage) == []


def test_the_transform_script_writes_plain_cloudformation(tmp_path: Any) -> None:
    out = tmp_path / "transformed.json"
    env = {**os.environ, **pipeline.OFFLINE_ENV}

    result = subprocess.run(  # noqa: S603
        [sys.executable, "infra/sam_transform.py", str(TEMPLATE), str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    document = json.loads(out.read_text())
    assert "Transform" not in document
    assert not [
        n for n, r in document["Resources"].items() if r["Type"].startswith("AWS::Serverless::")
    ]
    code = document["Resources"]["ApiFunction"]["Properties"]["Code"]
    assert code == {"S3Bucket": "placeholder-bucket", "S3Key": "gatewayproject-lambda.zip"}


def test_code_uri_is_the_zip_make_package_builds() -> None:
    """`sam deploy` must upload what `make package` wrote, not a stale or missing file."""
    import re

    from tests.infra.cfn import load

    makefile = (ROOT / "Makefile").read_text()
    built = re.search(r"^LAMBDA_ZIP := (\S+)$", makefile, re.MULTILINE)
    assert built is not None
    code_uri = load(TEMPLATE.read_text())["Globals"]["Function"]["CodeUri"]
    assert (TEMPLATE.parent / code_uri).resolve() == (ROOT / built.group(1)).resolve()


def test_the_transform_script_reports_sam_errors(tmp_path: Any, template_text: str) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(template_text.replace("Type: HttpApi\n", "Type: HttpAPI\n", 1))
    env = {**os.environ, **pipeline.OFFLINE_ENV}

    result = subprocess.run(  # noqa: S603
        [sys.executable, "infra/sam_transform.py", str(broken), str(tmp_path / "out.json")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    assert result.returncode == 1
    assert "SAM error: Resource with id [ApiFunction] is invalid" in result.stderr
    assert not (tmp_path / "out.json").exists()


def test_invalid_yaml_is_a_transform_error() -> None:
    with pytest.raises(SamTransformError, match="not valid YAML"):
        transform_text("Resources: {Fn: [")


@pytest.mark.parametrize(
    "parameters",
    [
        {
            "JwtIssuer": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc",
            "JwtAudience": "client-1",
        },
        {"EnableContainerVariant": "true", "ContainerImageTag": "v1", "VpcEndpoints": "all"},
        {
            "DomainName": "api.example.com",
            "CertificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/x",
        },
        {"CorsAllowedOrigins": "https://a.example,https://b.example", "Stage": "dev"},
        {
            "EnableDatabaseProxy": "false",
            "EnableCounterCache": "true",
            "CounterCacheEngine": "redis",
            "EnableContainerVariant": "true",
            "ContainerImageTag": "v1",
        },
        {"EnableUserPool": "true", "EnableContainerVariant": "true", "ContainerImageTag": "v1"},
        {"EnableKeyAuthorizer": "true", "KeyAuthorizerTtl": "300"},
        {"JwtIssuer": "https://login.example.org", "JwtAudience": "api"},
    ],
)
def test_the_transform_accepts_the_values_a_deploy_passes(
    template_text: str, parameters: dict[str, str]
) -> None:
    """CloudFormation hands the transform the real parameter values; SAM resolves some."""
    document = pipeline.transform(template_text, parameters)

    assert set(resources(document, "AWS::Lambda::Function")) == {
        "ApiFunction",
        "ManageFunction",
        "PhotoFunction",
        "RealtimeFunction",
        "KeyAuthorizerFunction",
    }
    if "CorsAllowedOrigins" in parameters:
        cors = document["Resources"]["HttpApi"]["Properties"]["Body"]["x-amazon-apigateway-cors"]
        origins = cors["Fn::If"][1]["allowOrigins"]
        assert origins == {"Fn::Split": [",", parameters["CorsAllowedOrigins"]]}


def test_every_checkov_skip_carries_a_reason(template_text: str) -> None:
    from tests.infra.cfn import load

    skips = [
        (name, skip)
        for name, resource in load(template_text)["Resources"].items()
        for skip in ((resource.get("Metadata") or {}).get("checkov") or {}).get("skip", [])
    ]

    assert skips, "expected the documented skips"
    for name, skip in skips:
        assert skip["id"].startswith("CKV_"), name
        assert len(skip.get("comment", "")) > 20, f"{name}: {skip['id']} has no real reason"
