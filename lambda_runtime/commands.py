"""Management commands in Lambda, by direct invoke only, from an allow-list.

Invoke the function's `manage` entry point with `{"command": "migrate", "args": [...]}`;
the answer is `{"command", "args", "exit_code", "ok", "output"}`. Who may run them is
decided by IAM (`lambda:InvokeFunction` on that function), so the function must have no
API Gateway or Function URL trigger; an HTTP event is refused here all the same.
"""

from __future__ import annotations

import io
import logging
import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import CommandError

from lambda_runtime.adapter import error_result, gateway_request_id

logger = logging.getLogger("gatewayproject.lambda")

# Commands an operator needs in a deployed function; nothing that opens a shell or runs
# arbitrary code (shell, dbshell, runscript). `createsuperuser` is out too (its password
# would end up in the invocation payload and logs); `create_admin` generates the password
# and returns it in the output only, which is never logged.
ALLOWED_COMMANDS = frozenset(
    {
        "migrate",
        "showmigrations",
        "check",
        "collectstatic",
        "create_admin",
        "idempotency_sweep",
        # The REST front door's drift repair (docs/rest-api.md); it only reads and writes
        # this stack's usage plans and keys in API Gateway.
        "sync_usage_plans",
        # Read-only: the deep health check with each failure's error (docs/operations.md).
        "health",
    }
)
# Commands that would otherwise stop at a prompt no one can answer.
NON_INTERACTIVE = frozenset({"migrate", "collectstatic"})
# Options that would load other settings or code than the deployed ones.
FORBIDDEN_OPTIONS = ("--settings", "--pythonpath")
# Lambda answers at most 6 MB; keep the output well under it.
MAX_OUTPUT_CHARS = 256 * 1024
# Keys only the HTTP front doors put in events.
HTTP_EVENT_KEYS = frozenset(
    {"requestContext", "httpMethod", "rawPath", "routeKey", "headers", "multiValueHeaders"}
)


def run(event: Any, context: Any) -> dict[str, Any]:
    """Run one allowed management command and return its result."""
    if isinstance(event, dict) and HTTP_EVENT_KEYS & event.keys():
        logger.error("Refused an HTTP event at the management entry point")
        # Shaped as an HTTP response, so a gateway wired here by mistake answers 403
        # instead of passing on a 200 with this function's output.
        ids = {"gatewayRequestId": gateway_request_id(event)}
        return error_result(event, 403, None, ids)
    command, args, problem = _parse(event)
    if problem or command is None:
        problem = problem or "No command."
        logger.warning("Refused management invoke: %s", problem)
        return {"command": command, "args": args, "exit_code": 2, "ok": False, "output": problem}
    started = time.perf_counter()
    exit_code, output = _call(command, args)
    logger.info(
        "management command",
        extra={
            "command": command,
            "commandArgs": args,  # "args" is a LogRecord attribute.
            "exitCode": exit_code,
            "durationMs": round((time.perf_counter() - started) * 1000, 3),
        },
    )
    if len(output) > MAX_OUTPUT_CHARS:
        output = output[:MAX_OUTPUT_CHARS] + "\n[output truncated]\n"
    return {
        "command": command,
        "args": args,
        "exit_code": exit_code,
        "ok": exit_code == 0,
        "output": output,
    }


def _parse(event: Any) -> tuple[str | None, list[Any], str | None]:
    """(command, args, why it is refused or None)."""
    if not isinstance(event, dict):
        return None, [], 'The event must be an object: {"command": "...", "args": [...]}.'
    command, args = event.get("command"), event.get("args", [])
    if not isinstance(command, str) or command not in ALLOWED_COMMANDS:
        allowed = ", ".join(sorted(ALLOWED_COMMANDS))
        return None, [], f"Command {command!r} is not allowed; allowed: {allowed}."
    if not isinstance(args, list) or not all(isinstance(arg, str) for arg in args):
        return command, [], '"args" must be a list of strings.'
    for arg in args:
        if arg.split("=", 1)[0] in FORBIDDEN_OPTIONS:
            return command, args, f"Option {arg.split('=', 1)[0]} is not allowed."
    return command, args, None


def _call(command: str, args: list[str]) -> tuple[int, str]:
    output = io.StringIO()
    options: dict[str, Any] = {"stdout": output, "stderr": output, "no_color": True}
    if command in NON_INTERACTIVE:
        options["interactive"] = False
    try:
        call_command(command, *args, **options)
    except CommandError as exc:  # Includes SystemCheckError from `check`.
        output.write(f"CommandError: {exc}\n")
        return exc.returncode, output.getvalue()
    except Exception as exc:
        logger.exception("Management command %s failed", command)
        output.write(f"{type(exc).__name__}: {exc}\n")
        return 1, output.getvalue()
    return 0, output.getvalue()
