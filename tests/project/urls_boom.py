"""The project's URLs plus views that fail on purpose, for error-handling tests."""

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from gatewayproject.urls import urlpatterns as project_urlpatterns


class BoomError(Exception):
    """Raised by the views below."""


@api_view(["GET"])
@permission_classes([AllowAny])
def drf_boom(request: Request) -> Response:
    raise BoomError("kaboom in a DRF view")


def django_boom(request: HttpRequest) -> HttpResponse:
    raise BoomError("kaboom in a plain view")


urlpatterns: list[URLPattern | URLResolver] = [
    path("v1/boom", drf_boom),
    path("v1/plain-boom", django_boom),
    *project_urlpatterns,
]
