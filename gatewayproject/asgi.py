"""ASGI entry point, for ASGI servers (the WSGI path is faster for this app; see docs)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gatewayproject.settings.production")

application = get_asgi_application()
