"""The realtime function: its sweep schedule, how hand-offs invoke it, what it may do."""

from __future__ import annotations

from typing import Any

from tests.infra import rules
from tests.infra.cfn import properties, ref_name, resources


def test_the_connection_sweep_runs_every_5_minutes(transformed: dict[str, Any]) -> None:
    scheduled = [
        properties(rule)
        for rule in resources(transformed, "AWS::Events::Rule").values()
        if properties(rule)["Targets"][0]["Arn"] == {"Fn::GetAtt": ["RealtimeFunction", "Arn"]}
    ]

    assert [p["ScheduleExpression"] for p in scheduled] == ["rate(5 minutes)"]


def test_a_hand_off_is_never_retried(transformed: dict[str, Any]) -> None:
    (config,) = [
        properties(c)
        for c in resources(transformed, "AWS::Lambda::EventInvokeConfig").values()
        if ref_name(properties(c)["FunctionName"]) == "RealtimeFunction"
    ]

    assert config["MaximumRetryAttempts"] == 0


def test_only_the_publishers_may_invoke_the_realtime_function(transformed: dict[str, Any]) -> None:
    invokers = {
        name
        for name, statement in rules._statements(transformed)
        if "lambda:InvokeFunction" in rules._as_list(statement.get("Action"))
    }

    assert invokers == {"ApiFunctionRole", "PhotoFunctionRole"}


def test_every_function_knows_where_to_push(transformed: dict[str, Any]) -> None:
    for name, function in resources(transformed, "AWS::Lambda::Function").items():
        variables = properties(function)["Environment"]["Variables"]
        assert {
            "REALTIME_MANAGEMENT_ENDPOINT",
            "REALTIME_WEBSOCKET_URL",
            "REALTIME_FANOUT_FUNCTION",
        } <= set(variables), name
