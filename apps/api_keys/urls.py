"""Routes for /v1/usage; the trailing slash is optional."""

from django.urls import re_path

from apps.api_keys.views import UsageView

app_name = "api_keys"

urlpatterns = [re_path(r"^usage/?$", UsageView.as_view(), name="usage")]
