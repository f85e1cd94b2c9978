"""URL configuration: /health, /v1 (API, OpenAPI document, docs) and /admin/."""

from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, path, re_path

from apps.common.admin_apps import admin_urls
from apps.common.deferral import app_urls
from apps.common.views import HealthView, lazy_view


def _media_files() -> list[URLPattern]:
    """Local photo files while DEBUG is on; django.conf.urls.static (with Django's static
    file view) is imported only when it can return a pattern or reject an empty MEDIA_URL."""
    if not settings.DEBUG and settings.MEDIA_URL:
        return []  # what static() returns: S3 serves its own
    from django.conf.urls.static import static

    return static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)


handler400 = "apps.common.errors.bad_request"
handler403 = "apps.common.errors.permission_denied"
handler404 = "apps.common.errors.page_not_found"
handler500 = "apps.common.errors.server_error"

# Each app's routes hang straight off /v1/ (no intermediate "v1/" resolver): one level of
# URL resolution less on every API request, the same paths and names. Each app's /v1/ opens
# only for paths that start with its heads, so in a Lambda initialised on demand
# (apps.common.deferral) a request imports the views of its own app and no other's.
urlpatterns: list[URLPattern | URLResolver] = [
    re_path(r"^health/?$", HealthView.as_view(), name="health"),
    app_urls("v1/", ("pets",), "apps.pets.urls", "pets"),
    app_urls("v1/", ("usage",), "apps.api_keys.urls", "api_keys"),
    app_urls("v1/", ("photos",), "apps.photos.urls", "photos"),
    app_urls("v1/", ("realtime",), "apps.realtime.urls", "realtime"),
    # drf-spectacular's views (and generator) load with the first request for them.
    re_path(
        r"^v1/openapi\.json/?$",
        lazy_view("drf_spectacular.views.SpectacularJSONAPIView"),
        name="openapi",
    ),
    re_path(
        r"^v1/docs/?$",
        lazy_view("drf_spectacular.views.SpectacularSwaggerView", url_name="openapi"),
        name="docs",
    ),
    # Deferred, the apps' admin modules load with the admin's first use (apps.common.admin_apps).
    path("admin/", admin_urls(admin.site)),
    # Local photo files while DEBUG is on (an empty list otherwise); S3 serves its own.
    *_media_files(),
]
