"""Infra checks run once per `make test`, from `make infra-check` (INFRA_CHECK=1).

They drive slow tools (cfn-lint, the SAM transform, checkov, hadolint, zappa), so the two
pytest legs of `make test` (SQLite, PostgreSQL) do not collect them a second and third time.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest

from tests.infra import pipeline, results_cache, rules
from tests.infra.cfn import TEMPLATE
from tests.infra.mutants import MUTANTS, Mutant

if not os.environ.get("INFRA_CHECK"):
    collect_ignore_glob = ["test_*.py"]


@pytest.fixture(scope="session", autouse=True)
def kept_verdicts(request: pytest.FixtureRequest) -> None:
    """cfn-lint's, the transform's and checkov's verdicts kept between runs, keyed by the
    text and the tools (results_cache.py); configured before any stage runs or forks."""
    cache = getattr(request.config, "cache", None)  # None under -p no:cacheprovider
    results_cache.configure(cache.mkdir("infra-check") if cache is not None else None)


@pytest.fixture(scope="session")
def template_text() -> str:
    return TEMPLATE.read_text()


@pytest.fixture(scope="session")
def clean_run(template_text: str) -> pipeline.PipelineResult:
    """Every stage on the real template, checkov included."""
    return pipeline.run(template_text)


@pytest.fixture(scope="session")
def transformed(clean_run: pipeline.PipelineResult) -> dict[str, Any]:
    assert clean_run.transformed is not None, clean_run.results
    return clean_run.transformed


def _run_mutant(mutant: Mutant, text: str) -> dict[str, Any]:
    broken = mutant.apply(text)
    if mutant.stage == pipeline.RULES:
        return _run_rule_mutant(mutant, broken)
    outcome = pipeline.run(broken)
    rule_problems = None
    if mutant.rule:
        # The pipeline's own transform when it got that far (it stops at the first failure).
        template = outcome.transformed or pipeline.sam_transform(broken)[0]
        rule_problems = rules.RULES[mutant.rule](template) if template else None
    return {
        "failed_stage": outcome.failed_stage,
        "messages": outcome.messages(outcome.failed_stage) if outcome.failed_stage else [],
        "rule_problems": rule_problems,
    }


def _run_rule_mutant(mutant: Mutant, broken: str) -> dict[str, Any]:
    """A copy the project rules must catch: transformed, then the rules, without cfn-lint.

    Whether cfn-lint would also object to a rule's mistake proves nothing about the rule, and
    its two runs (source and transformed) were nine tenths of `make infra-check` (two of a
    mutant's ~12 s on a loaded machine, for 50-odd rule mutants); the real template still goes
    through every stage (`clean_run`), and the other stages keep mutants of their own.
    """
    template, problems = pipeline.sam_transform(broken)
    if template is None:
        return {"failed_stage": pipeline.SAM_TRANSFORM, "messages": problems, "rule_problems": None}
    messages = pipeline.rule_messages(template)
    return {
        "failed_stage": pipeline.RULES if messages else None,
        "messages": messages,
        "rule_problems": rules.RULES[mutant.rule](template) if mutant.rule else None,
    }


@pytest.fixture(scope="session")
def mutant_runs(template_text: str) -> dict[str, dict[str, Any]]:
    """The pipeline's verdict on every broken copy, computed once, on both cores."""
    with ProcessPoolExecutor(max_workers=2) as pool:
        results = pool.map(_run_mutant, MUTANTS, [template_text] * len(MUTANTS))
        return {mutant.name: result for mutant, result in zip(MUTANTS, results, strict=True)}
