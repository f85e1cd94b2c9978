"""Production settings: every secret from the environment, no defaults, HTTPS only."""

import re

from django.core.exceptions import ImproperlyConfigured

from lambda_runtime.aws_secrets import database_credentials, secret_from_env

from .base import *  # noqa: F403
from .base import configure_database, env

DEBUG = False

# No defaults: a missing variable stops start-up with ImproperlyConfigured naming it.
# Secrets come as values (DJANGO_SECRET_KEY, DATABASE_PASSWORD: ECS injects them) or by
# reference (..._SECRET_ARN: read once, here, through the Lambda extension). A password left
# out of DATABASE_URL comes from DATABASE_PASSWORD or DATABASE_SECRET_ARN.
SECRET_KEY = secret_from_env(env, "DJANGO_SECRET_KEY")
DATABASES = {"default": configure_database(env.db("DATABASE_URL"))}
# Through RDS Proxy the functions sign in with an IAM token per connection instead of a
# password (lambda_runtime/postgresql_iam); only the proxy reads the database secret.
if env.bool("DATABASE_IAM_AUTH", default=False):
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_IAM_AUTH needs a postgres:// DATABASE_URL.")
    if env.str("DATABASE_PASSWORD", default="") or env.str("DATABASE_SECRET_ARN", default=""):
        raise ImproperlyConfigured(
            "DATABASE_IAM_AUTH signs in with a token: set no DATABASE_PASSWORD or "
            "DATABASE_SECRET_ARN."
        )
    DATABASES["default"]["ENGINE"] = "lambda_runtime.postgresql_iam"
else:
    DATABASES["default"].update(database_credentials(env))
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
# The counter cache's password by reference (Lambda); ECS injects REDIS_PASSWORD itself.
# Idempotency-Key records use the same cache and user.
if env.str("REDIS_PASSWORD_SECRET_ARN", default=""):
    API_KEYS["REDIS_PASSWORD"] = secret_from_env(env, "REDIS_PASSWORD")  # noqa: F405
    IDEMPOTENCY["REDIS_PASSWORD"] = API_KEYS["REDIS_PASSWORD"]  # noqa: F405
CSRF_TRUSTED_ORIGINS: list[str] = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# API Gateway terminates TLS and forwards the original scheme in X-Forwarded-Proto. Behind
# the VPC link the ALB rewrites that header to its own (http) listener, so the container
# trusts a header API Gateway overwrites instead (infra/template.yaml, ContainerIntegration).
_PROXY_SSL_HEADER = env.str("DJANGO_SECURE_PROXY_SSL_HEADER", default="X-Forwarded-Proto")
if not re.fullmatch(r"[A-Za-z0-9-]+", _PROXY_SSL_HEADER):
    raise ImproperlyConfigured("DJANGO_SECURE_PROXY_SSL_HEADER must be an HTTP header name.")
SECURE_PROXY_SSL_HEADER = ("HTTP_" + _PROXY_SSL_HEADER.upper().replace("-", "_"), "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# /health is probed over plain HTTP by the load balancer in the container variant. The
# middleware matches request.path, which starts with the script name (a stage) when set.
SECURE_REDIRECT_EXEMPT = [r"^(?:[\w-]+/)?health/?$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# collectstatic keeps only the hashed copies ({% static %} links to those): half the files
# in the Lambda package, and half the files WhiteNoise indexes at every cold start.
WHITENOISE_KEEP_ONLY_HASHED_FILES = True
