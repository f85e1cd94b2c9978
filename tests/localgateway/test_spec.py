"""The gateway reads stage, routes, CORS, throttling and logs from the SAM template."""

from __future__ import annotations

import pickle
import re
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
    assert resolver.resolve({"Fn::GetAtt": "Res.Arn"}) == {"Fn::GetAtt": ["Res", "Arn"]}


def test_short_form_tags_become_the_long_form_in_plain_python_values() -> None:
    template = load_template("""
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Role: !GetAtt Role.Arn
      Name: !Sub "${AWS::StackName}-fn"
      Tags: !If [IsProd, {a: b}, !Ref "AWS::NoValue"]
      Layers: [!Ref Layer, !Join ["", [x, !Select [0, !Split [",", "y,z"]]]]]
""")

    properties = template["Resources"]["Fn"]["Properties"]
    assert properties == {
        "Role": {"Fn::GetAtt": ["Role", "Arn"]},
        "Name": {"Fn::Sub": "${AWS::StackName}-fn"},
        "Tags": {"Fn::If": ["IsProd", {"a": "b"}, {"Ref": "AWS::NoValue"}]},
        "Layers": [
            {"Ref": "Layer"},
            {"Fn::Join": ["", ["x", {"Fn::Select": [0, {"Fn::Split": [",", "y,z"]}]}]]},
        ],
    }
    # Plain Python values: they pickle (worker processes).
    assert type(properties) is dict
    assert type(properties["Name"]["Fn::Sub"]) is str
    assert pickle.loads(pickle.dumps(template)) == template  # noqa: S301 (our own bytes)


def test_json_templates_are_read_too() -> None:
    assert load_template('{"Resources": {"B": {"Type": "AWS::S3::Bucket"}}}') == {
        "Resources": {"B": {"Type": "AWS::S3::Bucket"}}
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Resources: [\n", "line 2, column 1: expected the node content"),
        ("- a\n- b\n", "the template is not a mapping"),
        ("", "the template is not a mapping"),
        ("{}", "the template is empty"),
        # Safe YAML only: no Python object is ever built from a template.
        ("A: !!python/object/apply:os.system [ls]\n", "line 1, column 4: could not determine"),
    ],
)
def test_templates_the_parser_refuses(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        load_template(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Resources: [a]\n", "Resources in"),
        ("Resources:\n  Api: 3\n", "must map logical ids to resource mappings"),
        (
            "Resources:\n  Api:\n    Type: AWS::Serverless::HttpApi\n"
            "    Properties:\n      StageName: !GetAtt [OnlyOne]\n",
            "Fn::GetAtt needs a resource and an attribute",
        ),
        (
            "Resources:\n  Api:\n    Type: AWS::Serverless::HttpApi\n"
            "  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n"
            "      Events: [not, a, mapping]\n",
            "cannot use",
        ),
        ("Resources:\n  B: {Type: AWS::S3::Bucket\n", "cannot read"),
    ],
)
def test_a_template_of_the_wrong_shape_is_a_template_error(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(text)

    with pytest.raises(TemplateError, match=re.escape(message)):
        load_spec(path)
