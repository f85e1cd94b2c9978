"""Broken copies of the template: each mistake is caught, by the stage that should catch it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra import pipeline
from tests.infra.mutants import MUTANTS, Mutant


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_broken_copy_fails_at_the_expected_stage(
    mutant: Mutant, mutant_runs: dict[str, dict[str, Any]]
) -> None:
    run = mutant_runs[mutant.name]

    assert run["failed_stage"] == mutant.stage, run["messages"]
    assert run["messages"], "a failing stage must say why"


def test_every_stage_is_proved_able_to_fail() -> None:
    assert {m.stage for m in MUTANTS} == set(pipeline.STAGES)


def test_each_mutant_changes_the_template(template_text: str) -> None:
    for mutant in MUTANTS:
        assert mutant.apply(template_text) != template_text, mutant.name


def test_a_mutant_whose_snippet_is_gone_is_reported() -> None:
    with pytest.raises(AssertionError, match="occurs fewer than 1 times"):
        Mutant("gone", "NotInTheTemplate", "x", pipeline.RULES).apply("Resources: {}")
