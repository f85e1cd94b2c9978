"""The REST API read from each syntax a template may use: an OpenAPI body (rest.yaml and
infra/template.yaml, in the gateway tests), AWS::ApiGateway resources, and SAM's Api events."""

from __future__ import annotations

from pathlib import Path

import pytest

from localgateway.rest.model import GatewayResponse
from localgateway.rest.spec import load_rest_spec
from localgateway.spec import TemplateError

TEMPLATE = Path(__file__).parent / "fixtures" / "rest-resources.yaml"
HANDLER = "tests.localgateway.handlers.rest_echo"


def test_api_gateway_resources_make_methods_validators_and_responses() -> None:
    spec = load_rest_spec(TEMPLATE, api="RawApi")
    methods = {m.key: m for m in spec.methods}

    assert set(methods) == {"POST /pets", "OPTIONS /pets/{id}"}
    post = methods["POST /pets"]
    assert (post.integration, post.handler) == ("lambda", HANDLER)
    assert (post.function_timeout_ms, post.integration_timeout_ms) == (5000, 10000)
    assert post.api_key_required is True
    assert (post.validate_body, post.validate_parameters) == (True, True)
    assert post.required_parameters == (("querystring", "dry"),)
    assert post.body_schemas == {"application/json": {"type": "object", "required": ["name"]}}
    options = methods["OPTIONS /pets/{id}"]
    assert options.integration == "mock"
    assert options.mock is not None
    assert options.mock.responses[0].headers == (("Access-Control-Allow-Origin", "'*'"),)
    assert spec.gateway_responses == {
        "INVALID_API_KEY": GatewayResponse(401, (), '{"message":"no"}')
    }
    assert (spec.stage, spec.stage_variables) == ("v2", {"flavour": "raw"})
    setting = spec.setting(post)
    assert (setting.throttle_rate, setting.throttle_burst) == (5.0, 10)
    assert spec.binary_media_types == ("image/png",)


def test_sam_api_events_make_methods_with_the_apis_auth_and_models() -> None:
    spec = load_rest_spec(TEMPLATE, api="SamApi")
    methods = {m.key: m for m in spec.methods}

    assert set(methods) == {"POST /pets", "GET /health"}
    create = methods["POST /pets"]
    assert create.api_key_required is True  # the API's Auth.ApiKeyRequired
    assert create.validate_body is True
    assert create.body_schemas == {"application/json": {"type": "object", "required": ["name"]}}
    assert create.required_parameters == (("querystring", "dry"),)
    assert methods["GET /health"].api_key_required is False  # the event's own Auth
    assert spec.stage == "dev"
    quota = spec.gateway_responses["QUOTA_EXCEEDED"]
    assert quota.status == 429
    assert quota.headers == (("Retry-After", "'3600'"),)


def test_several_rest_apis_need_api_to_choose(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="expected one REST API"):
        load_rest_spec(TEMPLATE)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("Type: AWS_PROXY", "Type: HTTP_PROXY"), "AWS_PROXY and MOCK are served"),
        (("Schema: {type: object, required: [name]}", "Schema: {type: 7}"), "not a JSON schema"),
        (("ParentId: !Ref Pets", "ParentId: !Ref Nowhere"), "PathPart"),
    ],
)
def test_what_the_gateway_cannot_serve_is_a_clear_template_error(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    broken = tmp_path / "template.yaml"
    broken.write_text(TEMPLATE.read_text().replace(*change))

    with pytest.raises(TemplateError, match=message):
        load_rest_spec(broken, api="RawApi")


def test_keys_from_an_authorizer_are_refused(tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(
        TEMPLATE.read_text().replace(
            "      Name: raw\n", "      Name: raw\n      ApiKeySourceType: AUTHORIZER\n"
        )
    )

    with pytest.raises(TemplateError, match="x-api-key header only"):
        load_rest_spec(template, api="RawApi")


def test_rest_mode_turns_the_apps_own_metering_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """In this process and in --isolate workers, which read the environment at start."""
    import os

    from django.conf import settings as django_settings

    from localgateway.rest.command import gateway_metering

    # Both restored after the test: the command sets them for good.
    monkeypatch.setenv("API_KEYS_GATEWAY_METERING", "false")
    monkeypatch.setattr(django_settings, "API_KEYS", dict(django_settings.API_KEYS))

    gateway_metering()

    assert os.environ["API_KEYS_GATEWAY_METERING"] == "true"
    assert django_settings.API_KEYS["GATEWAY_METERING"] is True
