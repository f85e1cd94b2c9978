"""The template's observability: tracing options, the dashboard and alarms against the app's
metrics (apps/common/metrics.py), and what an operator's parameters change."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.infra import pipeline, rules
from tests.infra.cfn import Resolver, load, properties, resources

ADOT_LAYER = "arn:aws:lambda:eu-west-1:901920570463:layer:aws-otel-python-amd64-ver-1-32-0:1"


def _dashboard_body(template: dict[str, Any]) -> dict[str, Any]:
    (dashboard,) = resources(template, "AWS::CloudWatch::Dashboard").values()
    text, _variables = properties(dashboard)["DashboardBody"]["Fn::Sub"]
    body: dict[str, Any] = json.loads(re.sub(r"\$\{[^}]+\}", "x", text))
    return body


def test_the_dashboard_shows_every_metric_the_app_emits(transformed: dict[str, Any]) -> None:
    """The other direction of the rule emitted_metrics_only: nothing the app pays to log is
    left off the dashboard."""
    problems, shown = rules._dashboard_metrics(transformed)
    emitted = {metric for group in rules.EMITTED_GROUPS for metric, _unit in group.metrics}

    assert problems == []
    assert emitted - {metric for space, metric, _ in shown if space == rules._NAMESPACE} == set()


def test_the_dashboard_has_the_issue_s_graphs(transformed: dict[str, Any]) -> None:
    titles = {w["properties"].get("title") for w in _dashboard_body(transformed)["widgets"]}

    assert {
        "Requests",
        "Latency (ms)",
        "Error rates (%)",
        "Throttled by plan",
        "Quota refusals by plan",
        "Photo processing attempts by outcome",
        "Photo dead letters (DLQ depth)",
        "Database connections",
        "Alarms",
    } <= titles


def test_the_alarm_widget_lists_every_alarm(transformed: dict[str, Any]) -> None:
    (dashboard,) = resources(transformed, "AWS::CloudWatch::Dashboard").values()
    # The ${...} references are inside JSON strings: the unsubstituted text parses too.
    widgets = json.loads(properties(dashboard)["DashboardBody"]["Fn::Sub"][0])["widgets"]
    (widget,) = [w for w in widgets if w["type"] == "alarm"]

    listed = {re.sub(r"^\$\{(\w+)\.Arn\}$", r"\1", arn) for arn in widget["properties"]["alarms"]}
    assert listed == set(resources(transformed, "AWS::CloudWatch::Alarm"))


def test_every_alarm_also_says_when_it_is_over(transformed: dict[str, Any]) -> None:
    for name, alarm in resources(transformed, "AWS::CloudWatch::Alarm").items():
        p = properties(alarm)
        assert p["OKActions"] == p["AlarmActions"] == [{"Ref": "AlarmTopic"}], name
        assert p["TreatMissingData"] == "notBreaching", name


def test_the_alarm_email_is_optional(template_text: str) -> None:
    template = load(template_text)
    subscription = template["Resources"]["AlarmEmailSubscription"]

    assert subscription["Condition"] == "HasAlarmEmail"
    assert template["Parameters"]["AlarmEmail"]["Default"] == ""
    assert re.fullmatch(template["Parameters"]["AlarmEmail"]["AllowedPattern"], "ops@example.com")
    assert not re.fullmatch(template["Parameters"]["AlarmEmail"]["AllowedPattern"], "ops")


def _function_settings(template: dict[str, Any], parameters: dict[str, str]) -> dict[str, Any]:
    resolver = Resolver(template, parameters)
    globals_ = template["Globals"]["Function"]
    return {
        "layers": resolver.resolve(globals_["Layers"]),
        "variables": resolver.resolve(globals_["Environment"]["Variables"]),
        "tracing": globals_["Tracing"],
    }


def test_by_default_functions_trace_without_an_sdk(template_text: str) -> None:
    """Active tracing, no OpenTelemetry layer, no wrapper: nothing added to a cold start."""
    settings = _function_settings(load(template_text), {})

    assert settings["tracing"] == "Active"
    assert len(settings["layers"]) == 1  # the secrets extension only
    assert "AWS_LAMBDA_EXEC_WRAPPER" not in settings["variables"]
    assert settings["variables"]["METRICS_NAMESPACE"] == "example"


def test_the_adot_layer_comes_with_its_wrapper(template_text: str) -> None:
    settings = _function_settings(load(template_text), {"TracingLayerArn": ADOT_LAYER})

    assert settings["layers"][-1] == ADOT_LAYER
    assert len(settings["layers"]) == 2
    assert settings["variables"]["AWS_LAMBDA_EXEC_WRAPPER"] == "/opt/otel-instrument"


def test_the_transform_accepts_the_observability_parameters(template_text: str) -> None:
    document = pipeline.transform(
        template_text, {"TracingLayerArn": ADOT_LAYER, "AlarmEmail": "ops@example.com"}
    )

    for name, function in resources(document, "AWS::Lambda::Function").items():
        assert properties(function)["TracingConfig"] == {"Mode": "Active"}, name
    assert rules.check(document) == {}
