"""The project's URLs plus views that echo what Django saw, for the Lambda handler tests."""

from __future__ import annotations

import hashlib
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, URLResolver, path, re_path, reverse
from django.views.decorators.csrf import csrf_exempt

from gatewayproject.urls import urlpatterns as project_urlpatterns

BINARY_BODY = bytes(range(256)) * 4


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _request_summary(request: HttpRequest) -> dict[str, Any]:
    event = request.META.get("aws.event") or {}
    return {
        "method": request.method,
        "path": request.path,
        "path_info": request.path_info,
        "script_name": request.META["SCRIPT_NAME"],
        "query": {key: request.GET.getlist(key) for key in request.GET},
        "cookies": request.COOKIES,
        "headers": dict(request.headers),
        "meta": {k: v for k, v in request.META.items() if k.startswith(("HTTP_", "CONTENT_"))},
        "remote_addr": request.META.get("REMOTE_ADDR"),
        "scheme": request.scheme,
        "host": request.get_host(),
        "absolute_uri": request.build_absolute_uri(),
        "reversed": request.build_absolute_uri(reverse("echo")),
        "authorizer": (event.get("requestContext") or {}).get("authorizer"),
        "lambda_request_id": getattr(request.META.get("aws.context"), "aws_request_id", None),
    }


@csrf_exempt
def echo(request: HttpRequest, rest: str = "") -> JsonResponse:
    """What Django saw, and the body's length and hash."""
    summary = _request_summary(request)
    summary["body_length"] = len(request.body)
    summary["body_sha256"] = _sha256(request.body)
    return JsonResponse(summary)


@csrf_exempt
def upload(request: HttpRequest) -> JsonResponse:
    """Form fields and files as Django's multipart parser saw them."""
    files = {
        name: {"name": f.name, "size": f.size, "sha256": _sha256(f.read())}
        for name, f in request.FILES.items()
    }
    fields = {key: request.POST.getlist(key) for key in request.POST}
    return JsonResponse({"files": files, "fields": fields, **_request_summary(request)})


def cookies(request: HttpRequest) -> JsonResponse:
    """Sets two cookies (two Set-Cookie headers)."""
    response = JsonResponse({"ok": True})
    response.set_cookie("first", "1", secure=True, httponly=True)
    response.set_cookie("second", "2", samesite="Lax")
    return response


def binary(request: HttpRequest) -> HttpResponse:
    """Bytes that are not UTF-8, with a non-text content type."""
    return HttpResponse(BINARY_BODY, content_type="application/octet-stream")


urlpatterns: list[URLPattern | URLResolver] = [
    path("v1/echo", echo, name="echo"),
    path("v1/echo/upload", upload),
    path("v1/echo/cookies", cookies),
    path("v1/echo/binary", binary),
    re_path(r"^v1/echo/(?P<rest>.+)$", echo),
    *project_urlpatterns,
]
