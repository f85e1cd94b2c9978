"""The gateway reads stage, routes, CORS, throttling and logs from the SAM template."""

from __future__ import annotations

from pathlib import Path

import pytest

from localgateway.intrinsics import Resolver, load_template
from localgateway.spec import TemplateError, load_spec
from tests.localgateway.conftest import TEMPLATE


def test_reads_the_template() -> None:
    spec = load_spec(TEMPLATE)

    assert spec.name == "HttpApi"
    assert spec.stage == "prod"
    assert [route.key for route in spec.routes] == ["ANY /", "ANY /{proxy+}"]
    route = spec.routes[1]
    assert route.handler == "tests.localgateway.handlers.echo"
    assert route.function_timeout_ms == 2000  # from Globals
    assert route.integration_timeout_ms == 30000
    assert spec.cors is not None
    assert spec.cors.allow_origins == ("https://app.example.com", "http://localhost:5173")
    assert spec.cors.max_age == 600
    assert (spec.throttle_rate, spec.throttle_burst) == (500.0, 1000)
    assert spec.access_log_format is not None
    assert "$context.requestId" in spec.access_log_format


def test_parameters_and_stage_override() -> None:
    spec = load_spec(
        TEMPLATE,
        stage="$default",
        parameters={"CorsAllowedOrigins": "https://a.example", "Stage": "dev"},
    )

    assert spec.stage == "$default"
    assert spec.cors is not None
    assert spec.cors.allow_origins == ("https://a.example",)
    assert load_spec(TEMPLATE, parameters={"Stage": "dev"}).stage == "dev"


def test_container_variant_uses_the_vpc_link_routes() -> None:
    spec = load_spec(TEMPLATE, variant="container")

    assert [(r.key, r.integration, r.overwrite_path) for r in spec.routes] == [
        ("ANY /{proxy+}", "http", True)
    ]
    assert spec.routes[0].integration_timeout_ms == 29000


def test_a_template_without_an_http_api_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("Resources:\n  B:\n    Type: AWS::S3::Bucket\n")

    with pytest.raises(TemplateError, match="HttpApi"):
        load_spec(path)


def test_a_missing_template_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="cannot read"):
        load_spec(tmp_path / "missing.yaml")


def test_intrinsics() -> None:
    template = load_template("""
Parameters:
  Name: {Type: String, Default: api}
  List: {Type: CommaDelimitedList, Default: "a, b"}
Conditions:
  IsApi: !Equals [!Ref Name, api]
  NotApi: !Not [!Condition IsApi]
Resources: {}
""")
    resolver = Resolver(template, {})

    assert resolver.resolve({"Ref": "Name"}) == "api"
    assert resolver.resolve({"Ref": "List"}) == ["a", "b"]
    assert (
        resolver.resolve({"Fn::Sub": "${Name}-${AWS::Region}-${Unknown}"}) == "api-local-${Unknown}"
    )
    assert resolver.resolve({"Fn::Sub": ["${X}/${Name}", {"X": "x"}]}) == "x/api"
    assert resolver.resolve({"Fn::If": ["IsApi", "yes", "no"]}) == "yes"
    assert resolver.resolve({"Fn::Join": ["-", ["a", {"Ref": "Name"}]]}) == "a-api"
    assert resolver.resolve({"Fn::Select": [1, {"Fn::Split": [",", "x,y"]}]}) == "y"
    assert resolver.resolve({"k": {"Fn::If": ["NotApi", 1, {"Ref": "AWS::NoValue"}]}}) == {}
    assert resolver.resolve({"Fn::GetAtt": ["Res", "Arn"]}) == {"Fn::GetAtt": ["Res", "Arn"]}
