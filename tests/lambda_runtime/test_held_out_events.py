"""Held-out AWS event samples from other projects answer like the documented ones.

The samples come from AWS SAM CLI (`sam local generate-event` templates), Powertools, the
AWS Lambda Rust runtime, serverless-wsgi, Mangum and apig-wsgi (tests/fixtures/aws-events,
licenses beside them). Among them: the ALB health check AWS documents (no Host header), REST
events with no Host or no headers at all (the console's test invoke), VPC Lattice events.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable
from typing import Any

import pytest

from apps.pets.models import Pet
from tests.factories import PetFactory
from tests.lambda_runtime import events
from tests.lambda_runtime.conftest import Invoke, body_json, header

pytestmark = pytest.mark.django_db

# `sam local generate-event` defaults (samcli/lib/generated_sample_events/event-mapping.json).
SAM_VALUES = {
    "account_id": "123456789012",
    "dns_suffix": "us-east-1.amazonaws.com",
    "stage": "prod",
    "method": "POST",
    "resource": "/{proxy+}",
    "path": "path/to/resource",
    "body": base64.b64encode(b'{"test":"body"}').decode(),
    "querystringparameters": "",
}


def sam(name: str, **values: str) -> dict[str, Any]:
    """A SAM CLI template rendered as `sam local generate-event` does ({{{tag}}} → value)."""
    text = (events.FIXTURES / "sam-cli" / name).read_text()
    for tag, value in {**SAM_VALUES, **values}.items():
        text = text.replace("{{{" + tag + "}}}", value)
    return dict(json.loads(text))


def aimed_at(event: dict[str, Any], path: str, method: str = "GET") -> dict[str, Any]:
    """The sample sent to `method path` instead, whatever its shape."""
    context = event.get("requestContext") or {}
    if event.get("version") == "2.0" and "http" in context:
        event["rawPath"] = context["http"]["path"] = path
        context["http"]["method"] = method
        event["rawQueryString"] = ""
        event.pop("queryStringParameters", None)
    else:
        event["path"] = path
        event["httpMethod"] = method
        if "path" in context:
            context["path"] = path
        if "httpMethod" in context:
            context["httpMethod"] = method
    return event


def no_headers(event: dict[str, Any]) -> dict[str, Any]:
    """What the API Gateway console's test invoke sends: `headers` and the multi-value maps
    null (apig-wsgi's test_headers_None), and no domain to take a host from."""
    event["headers"] = event["multiValueHeaders"] = None
    event["requestContext"].pop("domainName", None)
    return event


SAMPLES: dict[str, Callable[[], dict[str, Any]]] = {
    "rust-runtime ALB health check (AWS docs)": lambda: events.load(
        "rust-runtime/alb_health_check.json"
    ),
    "apig-wsgi ALB health check, multi-value": lambda: events.load(
        "apig-wsgi/elb_health_check.json"
    ),
    "rust-runtime REST without Host": lambda: events.load("rust-runtime/apigw_no_host.json"),
    "REST from the console's test invoke": lambda: no_headers(
        events.load("serverless-wsgi/event_v1.json")
    ),
    "mangum REST (AWS docs)": lambda: events.load("mangum/aws-docs-rest-event.json"),
    "serverless-wsgi REST": lambda: events.load("serverless-wsgi/event_v1.json"),
    "serverless-wsgi ALB": lambda: events.load("serverless-wsgi/elb_event.json"),
    "serverless-wsgi HTTP API": lambda: events.load("serverless-wsgi/event_v2.json"),
    "rust-runtime HTTP API minimal": lambda: events.load(
        "rust-runtime/apigw_v2_proxy_request_minimal.json"
    ),
    "sam-cli aws-proxy": lambda: sam("AwsProxy.json"),
    "sam-cli http-api-proxy": lambda: sam("HttpApi.json", stage="$default"),
    "sam-cli alb": lambda: sam("ALBRequest.json", body=""),
    "powertools ALB multi-value": lambda: events.load("powertools/albMultiValueHeadersEvent.json"),
    "powertools Function URL": lambda: events.load("powertools/lambdaFunctionUrlEvent.json"),
}


@pytest.mark.parametrize("sample", SAMPLES, ids=list(SAMPLES))
def test_every_sample_gets_a_healthy_answer(invoke: Invoke, sample: str) -> None:
    result = invoke(aimed_at(SAMPLES[sample](), "/health"))

    assert result["statusCode"] == 200, result
    assert body_json(result) == {"status": "ok"}


@pytest.mark.parametrize(
    "sample",
    ["rust-runtime ALB health check (AWS docs)", "apig-wsgi ALB health check, multi-value"],
)
def test_a_host_less_event_still_cannot_reach_the_api(invoke: Invoke, sample: str) -> None:
    """Only the health check answers without a Host: ALLOWED_HOSTS still guards the rest."""
    result = invoke(aimed_at(SAMPLES[sample](), "/v1/openapi.json"))

    assert result["statusCode"] == 400
    assert body_json(result) == {"message": "Bad Request"}


@pytest.mark.parametrize("sample", ["serverless-wsgi ALB", "sam-cli alb"])
def test_alb_answers_carry_a_status_description(invoke: Invoke, sample: str) -> None:
    ok = invoke(aimed_at(SAMPLES[sample](), "/health"))
    missing = invoke(aimed_at(SAMPLES[sample](), "/nowhere"))

    assert ok["statusDescription"] == "200 OK"
    assert missing["statusCode"] == 404
    assert missing["statusDescription"] == "404 Not Found"


def test_the_alb_health_check_gets_a_status_description(invoke: Invoke) -> None:
    sample = "rust-runtime ALB health check (AWS docs)"
    ok = invoke(aimed_at(SAMPLES[sample](), "/health"))
    refused = invoke(aimed_at(SAMPLES[sample](), "/v1/pets"))

    assert ok["statusDescription"] == "200 OK"
    assert refused["statusDescription"] == "400 Bad Request"


def test_alb_errors_made_by_the_adapter_carry_a_status_description(invoke: Invoke) -> None:
    event = aimed_at(events.load("serverless-wsgi/elb_event.json"), "/v1/echo", "POST")
    event["body"], event["isBase64Encoded"] = "not base64!", True

    result = invoke(event)

    assert result["statusCode"] == 400
    assert result["statusDescription"] == "400 Bad Request"


def test_api_gateway_answers_carry_no_status_description(invoke: Invoke) -> None:
    for sample in ("serverless-wsgi REST", "serverless-wsgi HTTP API"):
        assert "statusDescription" not in invoke(aimed_at(SAMPLES[sample](), "/health"))


@pytest.mark.parametrize(
    "make_event",
    [
        pytest.param(
            lambda path, h: events.http_api(method="DELETE", path=path, headers=h), id="v2"
        ),
        pytest.param(
            lambda path, h: events.function_url(method="DELETE", path=path, headers=h),
            id="function-url",
        ),
    ],
)
def test_a_204_has_no_content_type_on_payload_2(
    invoke: Invoke, auth_headers, user, make_event: Callable[..., dict[str, Any]]
) -> None:
    pet = PetFactory(owner=user)

    result = invoke(make_event(f"/v1/pets/{pet.pk}", auth_headers(user)))

    assert result["statusCode"] == 204
    assert "content-type" not in {name.lower() for name in result.get("headers", {})}
    assert result.get("body", "") == ""
    assert not Pet.objects.filter(pk=pet.pk).exists()


def test_a_json_answer_on_payload_2_keeps_its_content_type(invoke: Invoke) -> None:
    result = invoke(aimed_at(SAMPLES["serverless-wsgi HTTP API"](), "/health"))

    assert header(result, "content-type") == "application/json"


@pytest.mark.parametrize(
    "name", ["powertools/vpcLatticeEvent.json", "powertools/vpcLatticeV2Event.json"]
)
def test_vpc_lattice_events_are_unsupported_not_malformed(
    invoke: Invoke, caplog: pytest.LogCaptureFixture, name: str
) -> None:
    with caplog.at_level(logging.ERROR, logger="gatewayproject.lambda"):
        result = invoke(events.load(name))

    assert result["statusCode"] == 400
    assert body_json(result) == {"message": "Unsupported event"}
    assert "Malformed" not in caplog.text
    assert "VPC Lattice" in caplog.text
