"""The WebSocket API rungateway reads from infra/template.yaml (and refuses to guess at)."""

from __future__ import annotations

from pathlib import Path

import pytest

from localgateway.spec import TemplateError
from localgateway.websocket.spec import load_websocket_spec
from tests.localgateway.conftest import TEMPLATE

ROOT = Path(__file__).resolve().parents[2]
PROJECT_TEMPLATE = ROOT / "infra" / "template.yaml"


def test_the_project_template_declares_the_live_updates_api() -> None:
    spec = load_websocket_spec(PROJECT_TEMPLATE)

    assert spec is not None
    assert (spec.name, spec.stage, spec.selection_path) == ("WebSocketApi", "prod", ("action",))
    assert set(spec.routes) == {"$connect", "$disconnect", "$default", "ping", "subscribe"}
    assert spec.handlers == {"lambda_runtime.handler.websocket"}
    two_way = {key for key, route in spec.routes.items() if route.two_way}
    assert two_way == {"$default", "ping", "subscribe"}
    assert spec.routes["$connect"].function_timeout_ms == 25_000  # Globals
    assert spec.routes["$connect"].integration_timeout_ms == 29_000
    assert (spec.throttle_rate, spec.throttle_burst) == (100.0, 200)  # the parameters' defaults
    assert spec.access_log_format is not None
    assert "$context.connectionId" in spec.access_log_format


def test_parameters_and_the_stage_option_apply() -> None:
    spec = load_websocket_spec(
        PROJECT_TEMPLATE, parameters={"Stage": "dev", "ThrottlingRateLimit": "5"}
    )
    override = load_websocket_spec(PROJECT_TEMPLATE, stage="$default")

    assert spec is not None
    assert (spec.stage, spec.throttle_rate) == ("dev", 5.0)
    assert override is not None
    assert override.stage == "$default"


def test_a_template_without_a_websocket_api_has_none() -> None:
    assert load_websocket_spec(TEMPLATE) is None


def test_a_selection_expression_other_than_the_body_is_refused(tmp_path: Path) -> None:
    broken = tmp_path / "t.yaml"
    broken.write_text(
        PROJECT_TEMPLATE.read_text().replace(
            "RouteSelectionExpression: $request.body.action",
            "RouteSelectionExpression: $request.header.x",
        )
    )

    with pytest.raises(TemplateError, match=r"\$request\.body"):
        load_websocket_spec(broken)
