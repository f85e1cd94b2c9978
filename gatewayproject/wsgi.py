"""WSGI entry point, used by runserver and gunicorn in the container (the Lambda handler
calls Django's own WSGI application: its events always carry a whole body)."""

import os

from django.core.wsgi import get_wsgi_application

from apps.common.wsgi import ChunkedBodyMiddleware

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gatewayproject.settings.production")

# Chunked request bodies (no Content-Length) are read, or refused in JSON.
application = ChunkedBodyMiddleware(get_wsgi_application())
