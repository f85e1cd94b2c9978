"""MOCK integrations: the response comes from the template, no function runs.

The request template names a status (`{"statusCode": 503}`); the integration response whose
selection pattern matches it (or the default one) gives the status, headers and body; its
template may override headers or the status (`$context.responseOverride`). Templates run
through localgateway.rest.vtl (the Velocity subset it documents).
https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-mock-integration.html
"""

from __future__ import annotations

import json
import re

from localgateway.rest.model import IntegrationResponse, MockIntegration
from localgateway.rest.responses import Refusal, parameter_value, set_header
from localgateway.rest.vtl import Inputs, VtlError, render
from localgateway.results import HttpResponse

INTERNAL_ERROR = "Internal server error"


def respond(mock: MockIntegration, inputs: Inputs) -> HttpResponse | Refusal:
    try:
        request = render(mock.request_template, inputs).body.strip()
        status = str(int(json.loads(request or '{"statusCode": 200}')["statusCode"]))
    except (VtlError, ValueError, KeyError, TypeError) as exc:
        return Refusal("DEFAULT_5XX", INTERNAL_ERROR, reason=f"mock request template: {exc}")
    chosen = _select(mock.responses, status)
    if chosen is None:
        return Refusal(
            "DEFAULT_5XX", INTERNAL_ERROR, reason=f"no integration response for {status}"
        )
    response = HttpResponse(chosen.status, [("content-type", "application/json")])
    for name, expression in chosen.headers:
        value = parameter_value(expression, inputs.headers, inputs.query, inputs.path)
        if value is not None:
            set_header(response, name, value)
    try:
        rendered = render(chosen.template, inputs)
    except VtlError as exc:
        return Refusal("DEFAULT_5XX", INTERNAL_ERROR, reason=f"mock response template: {exc}")
    for name, value in rendered.headers.items():
        set_header(response, name, value)
    response.status = rendered.status or response.status
    # A 204 or 304 has no body, whatever the template left (its directives' line breaks).
    body = "" if response.status in (204, 304) else rendered.body
    response.body = body.encode()
    return response


def _select(responses: tuple[IntegrationResponse, ...], status: str) -> IntegrationResponse | None:
    for response in responses:
        if response.pattern and re.fullmatch(response.pattern, status):
            return response
    return next((r for r in responses if not r.pattern), None)
