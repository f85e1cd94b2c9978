"""The project rules hold on the transformed template, and each of them can fail."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra import rules
from tests.infra.mutants import MUTANTS


@pytest.mark.parametrize("name", sorted(rules.RULES))
def test_rule_holds_on_the_template(transformed: dict[str, Any], name: str) -> None:
    assert rules.RULES[name](transformed) == []


@pytest.mark.parametrize("name", sorted(rules.RULES))
def test_rule_is_proved_able_to_fail_by_a_broken_copy(
    name: str, mutant_runs: dict[str, dict[str, Any]]
) -> None:
    proving = [m for m in MUTANTS if m.rule == name]

    assert proving, f"no broken copy of the template targets the rule {name}"
    for mutant in proving:
        assert mutant_runs[mutant.name]["rule_problems"], f"{name} missed {mutant.name!r}"


def test_only_the_justified_actions_may_use_a_wildcard_resource(
    transformed: dict[str, Any],
) -> None:
    starred = {
        action
        for _, statement in rules._statements(transformed)
        if statement.get("Resource") == "*"
        for action in rules._as_list(statement["Action"])
    }

    assert starred
    assert starred <= set(rules.STAR_ONLY_ACTIONS)


def test_each_function_reads_only_its_own_log_group(transformed: dict[str, Any]) -> None:
    for role, group in [
        ("ApiFunctionRole", "ApiFunctionLogGroup"),
        ("ManageFunctionRole", "ManageFunctionLogGroup"),
        ("PhotoFunctionRole", "PhotoFunctionLogGroup"),
        ("RealtimeFunctionRole", "RealtimeFunctionLogGroup"),
    ]:
        statements = [s for name, s in rules._statements(transformed) if name == role]
        logs = [s for s in statements if str(s["Action"]).startswith("['logs:")]
        assert [s["Resource"] for s in logs] == [{"Fn::GetAtt": [group, "Arn"]}], role


def test_the_management_function_cannot_touch_the_bucket(transformed: dict[str, Any]) -> None:
    statements = [s for name, s in rules._statements(transformed) if name == "ManageFunctionRole"]

    assert not [s for s in statements if "s3:" in str(s["Action"])]
