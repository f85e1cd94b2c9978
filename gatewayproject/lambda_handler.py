"""AWS Lambda entry points: `handler` (HTTP front doors) and `manage` (direct invoke).

Configure the function's handler as `gatewayproject.lambda_handler.handler`, and a second
function without any HTTP trigger as `gatewayproject.lambda_handler.manage`. Everything
below module level runs once per container, in Lambda's init phase (and is captured in
the snapshot with SnapStart): settings, `django.setup()`, middleware and URLconf.
"""

from __future__ import annotations

import os
from typing import Any

from django.core.wsgi import get_wsgi_application
from django.urls import reverse

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gatewayproject.settings.production")

# django.setup() and the WSGI handler with its middleware chain.
application = get_wsgi_application()

from gatewayproject import lambda_manage  # noqa: E402 (needs the app registry)
from gatewayproject.lambda_adapter import LambdaWSGIAdapter  # noqa: E402

# Import the URLconf (views, serializers, DRF) now rather than in the first request.
reverse("health")

_adapter = LambdaWSGIAdapter(application)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """HTTP API (payload 2.0 and 1.0), REST API, ALB and Function URL requests."""
    return _adapter(event, context)


def manage(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """`{"command": "migrate", "args": ["--plan"]}` → `{"command", "args", "exit_code",
    "ok", "output"}`; only allow-listed commands (see gatewayproject.lambda_manage)."""
    return lambda_manage.run(event, context)


# S3 event entry points (photo processing) go here, importing their app lazily so the
# HTTP path never loads boto3.
