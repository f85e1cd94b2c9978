"""URL configuration: /health, /v1 (API, OpenAPI document, docs) and /admin/."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularSwaggerView

from apps.common.views import HealthView

handler400 = "apps.common.errors.bad_request"
handler403 = "apps.common.errors.permission_denied"
handler404 = "apps.common.errors.page_not_found"
handler500 = "apps.common.errors.server_error"

v1_patterns: list[URLPattern | URLResolver] = [
    path("", include("apps.pets.urls")),
    path("", include("apps.api_keys.urls")),
    path("", include("apps.photos.urls")),
    path("", include("apps.realtime.urls")),
    re_path(r"^openapi\.json/?$", SpectacularJSONAPIView.as_view(), name="openapi"),
    re_path(r"^docs/?$", SpectacularSwaggerView.as_view(url_name="openapi"), name="docs"),
]

urlpatterns = [
    re_path(r"^health/?$", HealthView.as_view(), name="health"),
    path("v1/", include(v1_patterns)),
    path("admin/", admin.site.urls),
    # Local photo files while DEBUG is on (an empty list otherwise); S3 serves its own.
    *static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT),
]
