"""schemathesis hooks: business rules that OpenAPI cannot state, applied to generated data."""

from __future__ import annotations

import ast
import datetime
import functools
import re
import threading
from typing import Any

import schemathesis
from urllib3 import encode_multipart_formdata


@schemathesis.hook
def map_body(context: Any, body: Any) -> Any:
    """A birth date may not be in the future; OpenAPI 3.0 has no `maximum` for dates.

    Moving a future date back to today keeps a schema-valid body schema-valid, so
    positive cases stay positive and negative ones stay negative.
    """
    if isinstance(body, dict) and isinstance(body.get("birth_date"), str):
        try:
            birth_date = datetime.date.fromisoformat(body["birth_date"])
        except ValueError:
            return body
        today = datetime.datetime.now(datetime.UTC).date()
        if birth_date > today:
            body["birth_date"] = today.isoformat()
    return body


# --- Photos ------------------------------------------------------------------------------
# OpenAPI can say "binary", not "a real image", and cannot say "one of *your* pets".

_UPLOADS = {("/v1/photos", "POST"), ("/v1/photos/uploads/local", "POST")}
_PET_BODIES = {("/v1/photos", "POST"), ("/v1/photos/uploads", "POST")}
_FORM_FIELDS = {"caption", "key", "policy", "Content-Type"}


def _tiny_png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


_PNG = _tiny_png()


def _serialise_ast_parse() -> None:
    """Let one thread at a time run ast.parse in the fuzzer's process.

    Hypothesis describes each filter lambda by parsing its source file, and schemathesis
    runs two worker threads. CPython (3.11 here) keeps the AST converter's recursion depth in
    interpreter-wide state, so two parses at once can fail with "SystemError: AST
    constructor recursion depth mismatch" (cpython#106905), which schemathesis reports as a
    run error. The new photo operations made that race frequent; a lock removes it.
    """
    real_parse = ast.parse
    lock = threading.Lock()

    @functools.wraps(real_parse)
    def parse(*args: Any, **kwargs: Any) -> Any:
        with lock:
            return real_parse(*args, **kwargs)

    ast.parse = parse


_serialise_ast_parse()


# apps/common/schema.py's TAG_LIST_PATTERN: `*` or a list of quoted entity tags.
_TAG = r'(W/)?"[\x21\x23-\x7e]*"'
_TAG_LIST = re.compile(rf"^[ \t]*(\*|{_TAG}([ \t]*,[ \t]*{_TAG})*)[ \t]*$")


def _drop_tags_off_pattern(case: Any) -> None:
    """schemathesis' coverage phase sends `If-Match: 0` as a valid value, ignoring the
    header's documented pattern; a positive case sends no precondition it cannot match."""
    headers = case.headers or {}
    for name in ("If-Match", "If-None-Match"):
        if name in headers and not _TAG_LIST.match(str(headers[name])):
            case.headers = {key: value for key, value in headers.items() if key != name}
            headers = case.headers


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    """Positive photo uploads carry a real image; positive cases name no pet.

    OpenAPI can say `format: binary`, not "a real image", so a positive case's body is sent
    as the caller's own (`data=`), with the same declared fields and a small PNG as the
    file. The case itself stays untouched: schemathesis re-checks an edited case against the
    schema and would relabel it. A PNG is fine for every declared image type: the server
    sniffs the bytes and records what they are. Pet ids are left out because the fuzzer's
    own are unknown here and any other id is rightly a 400. Negative cases go as generated:
    random bytes or a bad pet are what they must be rejected for.
    """
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return
    _drop_tags_off_pattern(case)
    where = (case.operation.path, case.operation.method.upper())
    if where in _PET_BODIES:
        if isinstance(case.query, dict) and "pet" in case.query:
            case.query = {name: value for name, value in case.query.items() if name != "pet"}
        if where == ("/v1/photos/uploads", "POST") and isinstance(case.body, dict):
            case.body = {name: value for name, value in case.body.items() if name != "pet"}
    if where not in _UPLOADS:
        return
    if case.media_type and case.media_type.startswith("image/"):
        kwargs["data"] = _PNG
    elif isinstance(case.body, dict):
        fields = {
            name: value
            for name, value in case.body.items()
            if name in _FORM_FIELDS and isinstance(value, str)
        }
        body, content_type = encode_multipart_formdata(
            {**fields, "file": ("photo.png", _PNG, "image/png")}
        )
        kwargs["data"] = body
        # On the case, not in kwargs (the runner passes its own headers); an undeclared
        # header does not change how schemathesis classifies the case.
        case.headers = {**(case.headers or {}), "Content-Type": content_type}
