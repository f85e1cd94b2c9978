"""Access-log lines in the template's `AccessLogSettings.Format`, with `$context` variables."""

from __future__ import annotations

import re
from collections.abc import Mapping

# The format the API Gateway console proposes for JSON access logs.
DEFAULT_FORMAT = (
    '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp",'
    '"requestTime":"$context.requestTime","httpMethod":"$context.httpMethod",'
    '"routeKey":"$context.routeKey","status":"$context.status",'
    '"protocol":"$context.protocol","responseLength":"$context.responseLength"}'
)
_VARIABLE = re.compile(r"\$context\.([A-Za-z0-9_.]+)")


def render(template: str | None, variables: Mapping[str, object]) -> str:
    """Substitute `$context.x`; unknown variables become "-" as on AWS."""

    def substitute(match: re.Match[str]) -> str:
        value = variables.get(match.group(1))
        text = "-" if value is None or value == "" else str(value)
        # Values land inside a JSON string in the usual formats: keep them valid JSON.
        return text.replace("\\", "\\\\").replace('"', '\\"')

    return _VARIABLE.sub(substitute, template or DEFAULT_FORMAT)
