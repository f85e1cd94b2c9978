"""Routes for /v1/photos; the trailing slash is optional."""

from django.urls import re_path

from apps.common.routers import OptionalSlashRouter
from apps.photos.views import LocalUploadView, PhotoViewSet

app_name = "photos"

router = OptionalSlashRouter()
router.register("photos", PhotoViewSet, basename="photo")

urlpatterns = [
    re_path(r"^photos/uploads/local/?$", LocalUploadView.as_view(), name="upload-local"),
    *router.urls,
]
