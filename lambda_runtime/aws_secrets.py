"""Secrets by reference: resolve `<NAME>_SECRET_ARN` variables once, while settings load.

In Lambda the secret is read through the AWS Parameters and Secrets Lambda Extension, a
local HTTP endpoint, so neither boto3 nor its import time is needed:
https://docs.aws.amazon.com/secretsmanager/latest/userguide/retrieving-secrets_lambda.html
In ECS the task definition injects the values themselves (`Secrets`), and the plain
variables (`DJANGO_SECRET_KEY`, `DATABASE_PASSWORD`) are used instead.
"""

from __future__ import annotations

import json
import os
import time
import urllib.parse
from typing import Any

from django.core.exceptions import ImproperlyConfigured

ARN_SUFFIX = "_SECRET_ARN"
EXTENSION_PORT_VARIABLE = "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT"
EXTENSION_DEFAULT_PORT = 2773
TOKEN_HEADER = "X-Aws-Parameters-Secrets-Token"  # noqa: S105 (a header name)
TIMEOUT_SECONDS = 3.0
# The extension starts before the function's init code, but give it a moment if it is slow.
CONNECT_ATTEMPTS = 3
RETRY_DELAY_SECONDS = 0.1


def _extension_url(secret_id: str) -> str:
    port = os.environ.get(EXTENSION_PORT_VARIABLE) or EXTENSION_DEFAULT_PORT
    query = urllib.parse.urlencode({"secretId": secret_id})
    return f"http://localhost:{port}/secretsmanager/get?{query}"


def _request(secret_id: str, *, variable: str) -> bytes:
    # Imported here: a function without secrets by ARN (or a warm one) never needs
    # urllib.request's HTTP machinery.
    import urllib.error
    import urllib.request

    token = os.environ.get("AWS_SESSION_TOKEN")
    if not token:
        raise ImproperlyConfigured(
            f"{variable} is set, but AWS_SESSION_TOKEN is not: secrets by ARN are read through "
            "the AWS Parameters and Secrets Lambda Extension, which only runs in AWS Lambda. "
            f"Elsewhere set {variable.removesuffix(ARN_SUFFIX)} itself."
        )
    # http on the loopback address, built by _extension_url.
    request = urllib.request.Request(_extension_url(secret_id), headers={TOKEN_HEADER: token})  # noqa: S310
    for attempt in range(CONNECT_ATTEMPTS):
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
                body: bytes = response.read()
                return body
        except urllib.error.HTTPError as exc:
            raise ImproperlyConfigured(
                f"Cannot read the secret named by {variable}: the Parameters and Secrets "
                f"extension answered HTTP {exc.code} (check the ARN and the function's "
                "secretsmanager:GetSecretValue permission)."
            ) from None
        except OSError:
            if attempt + 1 < CONNECT_ATTEMPTS:
                time.sleep(RETRY_DELAY_SECONDS)
    raise ImproperlyConfigured(
        f"Cannot read the secret named by {variable}: the AWS Parameters and Secrets Lambda "
        "Extension does not answer on localhost (is its layer attached to the function?)."
    )


def fetch_secret_string(secret_id: str, *, variable: str) -> str:
    """The SecretString of `secret_id`; errors name `variable`, never the secret's value."""
    try:
        document: Any = json.loads(_request(secret_id, variable=variable))
    except ValueError:
        document = None
    value = document.get("SecretString") if isinstance(document, dict) else None
    if not isinstance(value, str) or not value:
        raise ImproperlyConfigured(
            f"The secret named by {variable} has no SecretString (binary or empty secrets "
            "are not supported)."
        )
    return value


def secret_from_env(env: Any, name: str) -> str:
    """`name`'s value, or the secret that `<name>_SECRET_ARN` points at: exactly one is set."""
    direct = env.str(name, default="")
    reference = env.str(name + ARN_SUFFIX, default="")
    if direct and reference:
        raise ImproperlyConfigured(f"Set {name} or {name}{ARN_SUFFIX}, not both.")
    if reference:
        return fetch_secret_string(reference, variable=name + ARN_SUFFIX)
    if not direct:
        raise ImproperlyConfigured(
            f"Set the {name} environment variable (or {name}{ARN_SUFFIX} to read it from "
            "AWS Secrets Manager)."
        )
    return str(direct)


def database_credentials(env: Any) -> dict[str, str]:
    """USER/PASSWORD overrides for DATABASES["default"] from DATABASE_PASSWORD or the JSON
    secret (RDS layout: {"username", "password", ...}) that DATABASE_SECRET_ARN names."""
    password = env.str("DATABASE_PASSWORD", default="")
    variable = "DATABASE_SECRET_ARN"
    reference = env.str(variable, default="")
    if password and reference:
        raise ImproperlyConfigured(f"Set DATABASE_PASSWORD or {variable}, not both.")
    if password:
        return {"PASSWORD": str(password)}
    if not reference:
        return {}  # The password, if any, is in DATABASE_URL.
    try:
        secret: Any = json.loads(fetch_secret_string(reference, variable=variable))
    except ValueError:
        secret = None
    if not isinstance(secret, dict) or not isinstance(secret.get("password"), str):
        raise ImproperlyConfigured(
            f'The secret named by {variable} must be JSON with a string "password" (and '
            'optionally "username"), as RDS and the SAM template store it.'
        )
    credentials = {"PASSWORD": secret["password"]}
    if isinstance(secret.get("username"), str) and secret["username"]:
        credentials["USER"] = secret["username"]
    return credentials
