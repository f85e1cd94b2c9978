"""Project rules for infra/Dockerfile, checked without a Docker engine."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

SECRET_NAMES = re.compile(r"SECRET|PASSWORD|PASSWD|TOKEN|API_?KEY|PRIVATE", re.I)
PINNED_IMAGE = re.compile(r"^[\w./-]+(:\d+\.\d+\.\d+[\w.-]*)?(@sha256:[0-9a-f]{64})?$")


@dataclass(frozen=True)
class Instruction:
    keyword: str
    argument: str


def parse(text: str) -> list[Instruction]:
    """Instructions with continuation lines joined; comments and blank lines dropped."""
    logical, pending = [], ""
    for line in text.splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending += line.rstrip("\\").strip() + " " if line.endswith("\\") else line.strip()
        if not line.endswith("\\"):
            logical.append(pending)
            pending = ""
    return [Instruction(*([*item.split(None, 1), ""])[:2]) for item in logical]


def _image_default(instructions: list[Instruction], image: str) -> str:
    """Resolve `${ARG}` in a FROM from the ARG's default."""
    match = re.fullmatch(r"\$\{?(\w+)\}?", image)
    if not match:
        return image
    for item in instructions:
        if item.keyword == "ARG" and item.argument.startswith(match.group(1) + "="):
            return item.argument.split("=", 1)[1]
    return image


def final_stage(instructions: list[Instruction]) -> list[Instruction]:
    starts = [i for i, item in enumerate(instructions) if item.keyword == "FROM"]
    return instructions[starts[-1] :] if starts else []


def exec_form(argument: str) -> list[str] | None:
    try:
        value = json.loads(argument)
    except ValueError:
        return None
    return value if isinstance(value, list) and all(isinstance(v, str) for v in value) else None


def problems(text: str) -> list[str]:
    instructions = parse(text)
    found = []
    for item in instructions:
        if item.keyword == "FROM":
            image = _image_default(instructions, item.argument.split()[0])
            if not PINNED_IMAGE.match(image) or ("@" not in image and ":" not in image):
                found.append(f"FROM {image}: pin a full version (x.y.z) or a digest")
        if item.keyword in ("ENV", "ARG", "LABEL") and SECRET_NAMES.search(item.argument):
            found.append(f"{item.keyword} {item.argument.split('=')[0]}: no secrets in the image")
        if item.keyword == "RUN" and re.search(r"SECRET_KEY=(?!\S*build-only)", item.argument):
            found.append("RUN sets a SECRET_KEY that is not marked build-only")
    last = final_stage(instructions)
    users = [item.argument.strip() for item in last if item.keyword == "USER"]
    if not users or users[-1].split(":")[0] in ("root", "0"):
        found.append("the final stage must switch to a non-root USER")
    keywords = [item.keyword for item in last]
    if "USER" in keywords and "CMD" in keywords and keywords.index("USER") > keywords.index("CMD"):
        found.append("USER must come before CMD")
    if not [i for i in last if i.keyword == "EXPOSE" and i.argument.split()[0] == "8000"]:
        found.append("EXPOSE 8000 is missing (the target group's port)")
    checks = [i.argument for i in last if i.keyword == "HEALTHCHECK"]
    if not checks or "/health" not in checks[-1]:
        found.append("HEALTHCHECK on /health is missing")
    commands = [exec_form(i.argument) for i in last if i.keyword == "CMD"]
    command = commands[-1] if commands else None
    if not command or command[0] != "gunicorn" or command[-1] != "gatewayproject.wsgi:application":
        found.append("CMD must be exec form: gunicorn ... gatewayproject.wsgi:application")
    if "--extra container" not in text:
        found.append("the image must install the runtime dependencies plus the container extra")
    if "uv sync --locked" not in text:
        found.append("the image must install exactly what uv.lock pins (uv sync --locked)")
    return found
