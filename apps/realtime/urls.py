"""Routes for /v1/realtime; the trailing slash is optional."""

from django.urls import re_path

from apps.realtime.views import TicketView

app_name = "realtime"

urlpatterns = [re_path(r"^realtime/tickets/?$", TicketView.as_view(), name="tickets")]
