"""The offline validation pipeline for infra/template.yaml, stage by stage.

1. cfn-lint on the SAM source     (schemas, enums, Refs, misspelled properties)
2. the SAM transform              (SAM-level errors: event types, missing Handler, ...)
3. cfn-lint on the transformed    (what only exists after the transform: runtimes, cycles)
4. the project rules              (tests/infra/rules.py: wiring the linters cannot judge)
5. checkov                        (security posture; skips justified in the template)

Run in order, stopping at the first stage that fails, so a broken copy of the template can be
attributed to the stage that catches it. Nothing here talks to AWS.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.infra import results_cache, rules
from tests.infra.cfn import ROOT

CFN_LINT_SOURCE = "cfn-lint source"
SAM_TRANSFORM = "sam transform"
CFN_LINT_TRANSFORMED = "cfn-lint transformed"
RULES = "rules"
CHECKOV = "checkov"
STAGES = (CFN_LINT_SOURCE, SAM_TRANSFORM, CFN_LINT_TRANSFORMED, RULES, CHECKOV)
REGION = "eu-west-1"
CHECKOV_BIN = Path(os.environ.get("CHECKOV", ROOT / ".venv-checkov" / "bin" / "checkov"))
# checkov's own entry point, with its JSONPath parse tables built once per run (run_checkov.py).
RUN_CHECKOV = Path(__file__).with_name("run_checkov.py")
# Nothing may leave the machine: no instance metadata, no region guessing, no update check.
OFFLINE_ENV = {
    "AWS_DEFAULT_REGION": REGION,
    "AWS_EC2_METADATA_DISABLED": "true",
    "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true",
    "BC_SKIP_MAPPING": "TRUE",
}


@dataclass
class StageResult:
    stage: str
    messages: list[str]

    @property
    def ok(self) -> bool:
        return not self.messages


@dataclass
class PipelineResult:
    results: list[StageResult] = field(default_factory=list)
    transformed: dict[str, Any] | None = None

    @property
    def failed_stage(self) -> str | None:
        return next((r.stage for r in self.results if not r.ok), None)

    def messages(self, stage: str) -> list[str]:
        return next((r.messages for r in self.results if r.stage == stage), [])


@functools.cache
def _cfn_lint_rules() -> Any:
    from cfnlint.core import get_rules

    # The default rule set, loaded once per process instead of once per template.
    return get_rules([], [], [], include_experimental=False)


def cfn_lint(text: str) -> list[str]:
    """Every cfn-lint match (errors and warnings both fail the build); the verdict is kept
    for the same text and tools (results_cache.py)."""
    tools = results_cache.python_tools()
    return results_cache.cached("cfn-lint", text, tools, lambda: _cfn_lint(text))


def _cfn_lint(text: str) -> list[str]:
    from cfnlint.api import lint

    return [
        f"{m.rule.id} {m.message} (line {m.linenumber})"
        for m in lint(text, rules=_cfn_lint_rules(), regions=[REGION])
    ]


def sam_transform(
    text: str, parameters: dict[str, Any] | None = None
) -> tuple[dict[str, Any] | None, list[str]]:
    """The transformed template, or the SAM errors; kept for the same text, parameter values
    and tools (results_cache.py)."""
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    tools = results_cache.python_tools()
    template, problems = results_cache.cached(
        SAM_TRANSFORM, text, tools, lambda: _sam_transform(text, parameters), parameters
    )
    return template, problems


def _sam_transform(
    text: str, parameters: dict[str, Any] | None
) -> tuple[dict[str, Any] | None, list[str]]:
    from infra.sam_transform import SamTransformError, transform_text

    try:
        return transform_text(text, parameters), []
    except SamTransformError as exc:
        return None, exc.messages


def transform(text: str, parameters: dict[str, Any] | None = None) -> dict[str, Any]:
    """`infra.sam_transform.transform_text`, kept as `sam_transform` is: the transformed
    template, or SamTransformError with SAM's messages."""
    template, problems = sam_transform(text, parameters)
    if template is None:
        from infra.sam_transform import SamTransformError

        raise SamTransformError(problems)
    return template


class _NoReportError(Exception):
    """checkov ended without a report: a failure to show, never a verdict to keep."""


def checkov(text: str) -> list[str]:
    """Failed checkov checks on the SAM source (checkov reads SAM directly); the verdict is
    kept for the same text and checkov venv (results_cache.py)."""
    if not CHECKOV_BIN.exists():
        return [f"checkov is not installed at {CHECKOV_BIN}: run `make infra-venvs`"]
    tools = results_cache.checkov_tools(CHECKOV_BIN)
    try:
        return results_cache.cached(CHECKOV, text, tools, lambda: _checkov(text))
    except _NoReportError as exc:
        return [str(exc)]


def _checkov(text: str) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="checkov-") as workdir:
        path = Path(workdir) / "template.yaml"
        path.write_text(text)
        command = [str(CHECKOV_BIN.with_name("python")), str(RUN_CHECKOV)]
        command += ["-f", str(path), "--framework", "cloudformation"]
        command += ["--skip-download", "--quiet", "--compact", "--output", "json"]
        env = {**os.environ, **OFFLINE_ENV}
        result = subprocess.run(  # noqa: S603
            command, capture_output=True, text=True, env=env, timeout=300, check=False
        )
    try:
        report = json.loads(result.stdout)
    except ValueError:
        raise _NoReportError(
            f"checkov did not report (exit {result.returncode}): {result.stderr[-2000:]}"
        ) from None
    if isinstance(report, list):  # one report per framework
        report = report[0] if report else {}
    failed = (report.get("results") or {}).get("failed_checks") or []
    return [f"{c['check_id']} {c['check_name']} ({c['resource']})" for c in failed]


def rule_messages(transformed: dict[str, Any]) -> list[str]:
    """Every project rule's findings on a transformed template, each named by its rule."""
    violations = rules.check(transformed)
    return [f"{name}: {p}" for name, found in violations.items() for p in found]


def run(text: str, *, with_checkov: bool = True) -> PipelineResult:
    """Run the stages in order on a template's text; stop at the first failure."""
    outcome = PipelineResult()
    outcome.results.append(StageResult(CFN_LINT_SOURCE, cfn_lint(text)))
    if outcome.failed_stage:
        return outcome
    outcome.transformed, problems = sam_transform(text)
    outcome.results.append(StageResult(SAM_TRANSFORM, problems))
    if outcome.transformed is None:
        return outcome
    outcome.results.append(
        StageResult(CFN_LINT_TRANSFORMED, cfn_lint(json.dumps(outcome.transformed, indent=1)))
    )
    if outcome.failed_stage:
        return outcome
    outcome.results.append(StageResult(RULES, rule_messages(outcome.transformed)))
    if outcome.failed_stage or not with_checkov:
        return outcome
    outcome.results.append(StageResult(CHECKOV, checkov(text)))
    return outcome
