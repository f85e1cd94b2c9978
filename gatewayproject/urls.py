"""URL configuration: /health, /v1 (API, OpenAPI document, docs) and /admin/."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path

from apps.common.views import HealthView, lazy_view

handler400 = "apps.common.errors.bad_request"
handler403 = "apps.common.errors.permission_denied"
handler404 = "apps.common.errors.page_not_found"
handler500 = "apps.common.errors.server_error"

# Each app's routes hang straight off /v1/ (no intermediate "v1/" resolver): one level of
# URL resolution less on every API request, the same paths and names.
urlpatterns: list[URLPattern | URLResolver] = [
    re_path(r"^health/?$", HealthView.as_view(), name="health"),
    path("v1/", include("apps.pets.urls")),
    path("v1/", include("apps.api_keys.urls")),
    path("v1/", include("apps.photos.urls")),
    path("v1/", include("apps.realtime.urls")),
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
    path("admin/", admin.site.urls),
    # Local photo files while DEBUG is on (an empty list otherwise); S3 serves its own.
    *static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT),
]
