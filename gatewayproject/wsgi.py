"""WSGI entry point, used by runserver, gunicorn in the container and the Lambda handler."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gatewayproject.settings.production")

application = get_wsgi_application()
