"""Laptop settings: SQLite, local media, DEBUG on; no account or network needed."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# Only for local development; production.py has no default and refuses to start without one.
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="local-development-only-not-a-secret")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])

# The local API Gateway (manage.py rungateway): a development tool, never in production.
INSTALLED_APPS = [*INSTALLED_APPS, "localgateway"]  # noqa: F405

# Serve static files straight from the app directories: no collectstatic needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Keep "default" from base.py: the filesystem, or S3 when AWS_STORAGE_BUCKET_NAME is set.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {
        "BACKEND": "apps.common.storages.StageAwareStaticFilesStorage",
        "OPTIONS": {"base_url": STATIC_URL},  # noqa: F405
    },
}
