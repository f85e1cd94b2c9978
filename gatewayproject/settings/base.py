"""Settings shared by every environment; each value comes from the environment."""

import math
from pathlib import Path
from typing import Any

import environ
from django.contrib.admin.options import BaseModelAdmin
from django.core.exceptions import ImproperlyConfigured

# The admin classes subscript django-stubs' generics at run time (`admin.ModelAdmin[Pet]`,
# `admin.TabularInline[APIKey, Any]`); both derive from BaseModelAdmin, the one class that
# needs a `__class_getitem__`. (django_stubs_ext.monkeypatch() patches 35 classes and imports
# the sitemaps, syndication feeds and xml.sax for it: ~1% of a Lambda cold start.)
setattr(BaseModelAdmin, "__class_getitem__", classmethod(lambda cls, *args: cls))  # noqa: B010

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()


def from_environment(variables: dict[str, tuple[str, type]]) -> dict[str, Any]:
    """An app's namespaced setting from the variables (name, cast) that are set.

    Each app reads one dict (PHOTOS, API_KEYS) through its typed conf.py, which holds the
    defaults, written once there; a variable left unset keeps the app's default.
    """
    values = {
        key: env.get_value(name, cast, default=None) for key, (name, cast) in variables.items()
    }
    return {key: value for key, value in values.items() if value is not None}


# --- Core -------------------------------------------------------------------

DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS: list[str] = env.list("DJANGO_ALLOWED_HOSTS", default=[])

INSTALLED_APPS = [
    # django.contrib.admin, its autodiscovery deferrable to first use (Lambda init on demand).
    "apps.common.admin_apps.GatewayAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "apps.common",
    "apps.pets",
    # Key generation and hashing come from djangorestframework-api-key, which must be
    # installed as an app to be imported; apps.api_keys replaces its model and admin.
    "rest_framework_api_key",
    "apps.api_keys",
    "apps.photos",
    "apps.identity",
    "apps.idempotency",
    "apps.realtime",
]

MIDDLEWARE = [
    "apps.common.middleware.RequestContextMiddleware",
    "apps.common.middleware.JSONErrorMiddleware",
    # /health before any host check: load balancers probe without a Host we could allow.
    "apps.common.middleware.HealthCheckMiddleware",
    # A database that goes silent fails the request (503) instead of holding its thread.
    "apps.common.middleware.DatabaseDeadlineMiddleware",
    # A WebSocket handshake sent to runserver/gunicorn: a 400 naming the WebSocket API.
    "apps.realtime.middleware.WebSocketUpgradeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # WhiteNoise's; in a Lambda initialised on demand it indexes the static files when first
    # asked for one rather than at init.
    "apps.common.staticfiles.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # X-RateLimit-* on every response to a keyed request (set by the usage-plan throttle).
    "apps.api_keys.middleware.RateLimitHeadersMiddleware",
]

ROOT_URLCONF = "gatewayproject.urls"
WSGI_APPLICATION = "gatewayproject.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------


# How connections reach PostgreSQL (DATABASE_POOLER); reasons and measurements in
# docs/scaling.md. "none": straight to the server. "proxy": through a transaction-pooling
# proxy (RDS Proxy, or PgBouncer in transaction mode, its local stand-in). "psycopg": Django's
# own psycopg pool, per process (the container variant's threaded workers).
POOLERS = ("none", "proxy", "psycopg")


def configure_database(database: dict[str, Any]) -> dict[str, Any]:
    """Connection settings every environment shares, applied to a django-environ dict."""
    # A Lambda container serves one request at a time, so a persistent connection is
    # reused by every warm invocation; health checks drop a connection the server closed.
    database["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    database["CONN_HEALTH_CHECKS"] = True
    # Read for every engine, so a typo fails wherever it is made.
    pooler, pool = env.str("DATABASE_POOLER", default="none"), pool_options()
    if database["ENGINE"] == "django.db.backends.postgresql":
        configure_pooling(database, pooler, pool=pool)
        configure_timeouts(database, pooler)
    elif pooler not in POOLERS:
        configure_pooling({}, pooler)  # raises
    if database["ENGINE"] == "django.db.backends.sqlite3":
        # Every keyed request writes its usage meter. In WAL mode with synchronous=NORMAL a
        # commit does not wait for an fsync (measured here: 16 ms -> 0.01 ms per UPDATE);
        # the file stays consistent, a power cut can lose the last commits. IMMEDIATE takes
        # the write lock at BEGIN, so concurrent writers wait (timeout) instead of failing:
        # SQLite fails a read lock's upgrade to a write lock at once with "database is
        # locked" (a deleted pet's photos are read for their files before the rows go).
        # https://docs.djangoproject.com/en/5.2/ref/databases/#sqlite-transaction-behavior
        database.setdefault("OPTIONS", {}).update(
            {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
            }
        )
    return database


def pool_options() -> dict[str, Any]:
    """Django's psycopg pool, sized from the environment (DATABASE_POOLER=psycopg)."""
    return {
        "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=1),
        "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=4),
        # Seconds a request waits for a free connection before failing.
        "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10.0),
    }


def configure_pooling(
    database: dict[str, Any], pooler: str, *, pool: dict[str, Any] | None = None
) -> None:
    """PostgreSQL options for DATABASE_POOLER (see POOLERS)."""
    if pooler not in POOLERS:
        raise ImproperlyConfigured(
            f"DATABASE_POOLER must be one of {', '.join(POOLERS)}, not {pooler!r}."
        )
    options = database.setdefault("OPTIONS", {})
    if pooler == "proxy":
        # A transaction pooler hands each transaction any server connection. Prepared
        # statements pin an RDS Proxy session and fail on PgBouncer < 1.21 (Debian 12 has
        # 1.18); server-side cursors (QuerySet.iterator()) are WITH HOLD cursors in
        # autocommit, which outlive the transaction and its server connection.
        # https://docs.djangoproject.com/en/5.2/ref/databases/#transaction-pooling-server-side-cursors
        if options.get("prepare_threshold") is not None or options.get("server_side_binding"):
            raise ImproperlyConfigured(
                "DATABASE_POOLER=proxy needs client-side binding without prepared statements "
                "(no prepare_threshold or server_side_binding in the database OPTIONS)."
            )
        options["prepare_threshold"] = None
        database["DISABLE_SERVER_SIDE_CURSORS"] = True
    elif pooler == "psycopg":
        # Django's pool hands a connection to each request and takes it back at the end;
        # it refuses persistent connections. One pool per process, sized to its threads.
        database["CONN_MAX_AGE"] = 0
        options["pool"] = pool if pool is not None else pool_options()


def database_timeouts() -> dict[str, float]:
    """DATABASE_{CONNECT,STATEMENT,REQUEST}_TIMEOUT in seconds; 0 turns one off.

    Each is below the Lambda function's timeout (25 s) and API Gateway's integration timeout
    (30 s), so a database that stops answering is a JSON 503, never a hung request. Reasons
    and measurements: docs/hardening.md.
    """
    timeouts = {
        # Opening a connection, TLS and sign-in included (libpq's connect_timeout).
        "CONNECT": env.float("DATABASE_CONNECT_TIMEOUT", default=3.0),
        # One statement, enforced by PostgreSQL itself (statement_timeout): lock waits too.
        "STATEMENT": env.float("DATABASE_STATEMENT_TIMEOUT", default=10.0),
        # All of one request's database work, enforced from outside the waiting call
        # (apps/common/deadlines.py): a server that accepted the connection and went silent.
        "REQUEST": env.float("DATABASE_REQUEST_TIMEOUT", default=20.0),
    }
    for name, seconds in timeouts.items():
        if not 0 <= seconds < 30:
            raise ImproperlyConfigured(
                f"DATABASE_{name}_TIMEOUT must be 0 (off) or seconds below API Gateway's 30."
            )
    return timeouts


DATABASE_TIMEOUTS = database_timeouts()


def configure_timeouts(database: dict[str, Any], pooler: str) -> None:
    """PostgreSQL's connect and statement timeouts from DATABASE_TIMEOUTS."""
    options = database.setdefault("OPTIONS", {})
    if seconds := DATABASE_TIMEOUTS["CONNECT"]:
        # Whole seconds; libpq treats anything below 2 as 2.
        options.setdefault("connect_timeout", max(2, math.ceil(seconds)))
    if (seconds := DATABASE_TIMEOUTS["STATEMENT"]) and pooler != "proxy":
        # Sent as a startup parameter: no SET, so nothing extra per connection. A
        # transaction pooler refuses it (PgBouncer) or would pin on it: set it there in the
        # proxy's own configuration (RDS Proxy InitQuery, PgBouncer connect_query).
        timeout = f"-c statement_timeout={round(seconds * 1000)}"
        options["options"] = f"{options.get('options', '')} {timeout}".strip()


DATABASES = {
    "default": configure_database(
        env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
    ),
}

# --- Auth and passwords ---------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Internationalisation -------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media -------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=BASE_DIR / "media")
# The storages put these relative URLs under each request's stage prefix (/prod/static/...);
# Django's own would use the prefix of start-up, none. See apps/common/storages.py.
STORAGES: dict[str, dict[str, Any]] = {
    "default": {
        "BACKEND": "apps.common.storages.StageAwareFileSystemStorage",
        "OPTIONS": {"base_url": MEDIA_URL},
    },
    "staticfiles": {
        "BACKEND": "apps.common.storages.StageAwareManifestStaticFilesStorage",
        "OPTIONS": {"base_url": STATIC_URL},
    },
}

# --- Photos (apps.photos) -------------------------------------------------------------
# Defaults and reasons in apps/photos/conf.py; checked at start-up by apps/photos/checks.py.
PHOTOS = from_environment(
    {
        "DIRECT_MAX_BYTES": ("PHOTOS_DIRECT_MAX_BYTES", int),
        "MAX_BYTES": ("PHOTOS_MAX_BYTES", int),
        "MAX_PIXELS": ("PHOTOS_MAX_PIXELS", int),
        "UPLOAD_EXPIRES": ("PHOTOS_UPLOAD_EXPIRES", int),
        "URL_EXPIRES": ("PHOTOS_URL_EXPIRES", int),
        "UPLOAD_PREFIX": ("PHOTOS_UPLOAD_PREFIX", str),
        "PROCESSING_TIMEOUT": ("PHOTOS_PROCESSING_TIMEOUT", int),
        "MEMORY_BUDGET": ("PHOTOS_MEMORY_BUDGET", int),
        "MAX_CONCURRENT_DECODES": ("PHOTOS_MAX_CONCURRENT_DECODES", int),
        "DECODE_WAIT": ("PHOTOS_DECODE_WAIT", int),
        "MAX_FRAMES": ("PHOTOS_MAX_FRAMES", int),
        "MAX_EXPANSION": ("PHOTOS_MAX_EXPANSION", int),
    }
)

# A bucket name switches media to S3. Credentials come from the execution role (or the
# usual AWS_* variables), never from settings; the backend imports boto3 on first use.
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "signature_version": "s3v4",
            # Private reads: every URL is presigned and short-lived (PHOTOS["URL_EXPIRES"],
            # passed by apps/photos/storage.py at each url()).
            "querystring_auth": True,
            # No ACL header: the bucket blocks public access and has ACLs disabled
            # (BucketOwnerEnforced), which refuses any ACL but bucket-owner-full-control.
            # https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-ownership-error-responses.html
            "default_acl": None,
            # Keys are chosen by the server and unique per photo: no HEAD before each write.
            "file_overwrite": True,
            # Originals up to 25 MiB spill to a temporary file instead of staying in memory.
            "max_memory_size": 2 * 1024 * 1024,
        },
    }

# --- Stage prefix ---------------------------------------------------------------------
# A named API Gateway stage puts "/<stage>" in front of every path. Routing ignores
# it; generated URLs (Location, pagination, OpenAPI servers, admin) must include it.
# DJANGO_SCRIPT_NAME is a fixed prefix (FORCE_SCRIPT_NAME) for servers behind a proxy that
# strips it. The Lambda handler works the prefix out per request instead: "auto" (the
# stage, on default execute-api hosts only), "off", or a fixed "/prefix" (say, a custom
# domain's API mapping key). See lambda_runtime/stage.py and docs/lambda.md.
FORCE_SCRIPT_NAME = env.str("DJANGO_SCRIPT_NAME", default="") or None
API_GATEWAY_STAGE_PREFIX = env.str("API_GATEWAY_STAGE_PREFIX", default="auto")

# --- Django REST framework -----------------------------------------------------------

REST_FRAMEWORK = {
    # Authentication classes are policy, set here only, so a new scheme (API keys,
    # JWT claims from API Gateway) becomes the default without touching any view.
    # A token API Gateway verified first (with one, x-api-key is not read), then x-api-key
    # (no header: the next class); sessions only for staff (browsable API).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.identity.authentication.GatewayJWTAuthentication",
        # The key a Lambda authorizer checked (its context in requestContext), else x-api-key.
        "apps.api_keys.authentication.AuthorizerKeyAuthentication",
        "apps.api_keys.authentication.APIKeyAuthentication",
        "apps.api_keys.authentication.StaffSessionAuthentication",
    ],
    # Token users also need the view's scope (apps.identity.scopes).
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "apps.identity.permissions.HasTokenScope",
    ],
    # The key's usage plan: token-bucket throttle and quota, metered per keyed request.
    "DEFAULT_THROTTLE_CLASSES": ["apps.api_keys.throttling.UsagePlanThrottle"],
    # JSON only by default; upload views opt in to multipart and raw image bodies.
    "DEFAULT_PARSER_CLASSES": ["apps.common.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PAGINATION_CLASS": "apps.common.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": [
        "apps.common.filters.SingleValuedParamsFilter",
        # django-filter's, skipped when there are no query parameters.
        "apps.common.filters.DjangoFilterBackend",
        "apps.common.filters.StrictSearchFilter",
        "apps.common.filters.StrictOrderingFilter",
    ],
    "EXCEPTION_HANDLER": "apps.common.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "apps.common.schema.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "URL_FORMAT_OVERRIDE": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Pets API",
    "DESCRIPTION": (
        "A Django REST Framework backend fronted by Amazon API Gateway. Every error is a JSON "
        'object with a `message` string; validation errors add `errors` ({"field": ["..."]}).'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/v1",
    # The committed document (clients/openapi/openapi.json) points at `make run`; the served
    # one replaces this with the URL it was fetched from (apps.common.schema.SchemaGenerator).
    "SERVERS": [{"url": "http://127.0.0.1:3000/prod", "description": "The local gateway"}],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Servers come from the request, so a stage prefix ("/prod") is part of them.
    "DEFAULT_GENERATOR_CLASS": "apps.common.schema.SchemaGenerator",
    # Each tag is a module of the generated clients (pets_api_client.api.pets.list_pets).
    "TAGS": [
        {"name": "pets", "description": "The caller's pets."},
        {"name": "photos", "description": "Photos: direct and presigned uploads, processing."},
        {"name": "usage", "description": "The caller's usage plan, throttle and quota."},
        {"name": "realtime", "description": "Tickets for the WebSocket API (live updates)."},
        {"name": "health", "description": "Liveness for load balancers; no key."},
    ],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "apps.common.schema.enum_parameters_as_components",
    ],
    "ENUM_NAME_OVERRIDES": {
        "PhotoStatusEnum": "apps.photos.models.PhotoStatus.choices",
        "PhotoContentTypeEnum": "apps.photos.serializers.CONTENT_TYPES",
        "UploadMethodEnum": "apps.photos.serializers.UPLOAD_METHODS",
    },
    # The document and the docs page are open: no key is read (a bad one is not a 403).
    "SERVE_AUTHENTICATION": [],
    # The public contract is the x-api-key scheme; staff sessions are an admin convenience.
    "AUTHENTICATION_WHITELIST": [
        "apps.identity.authentication.GatewayJWTAuthentication",
        "apps.api_keys.authentication.APIKeyAuthentication",
    ],
}

# --- API keys and usage plans (apps.api_keys) -------------------------------------------

# Defaults in apps/api_keys/conf.py. REDIS_URL set: token buckets in Redis (quotas stay in
# the database), e.g. redis://127.0.0.1:6379/0; unset: everything in the database.
API_KEYS = from_environment(
    {
        "REDIS_URL": ("REDIS_URL", str),
        "REDIS_KEY_PREFIX": ("API_KEYS_REDIS_KEY_PREFIX", str),
        "DEFAULT_USER_PLAN": ("API_KEYS_DEFAULT_USER_PLAN", str),
        "REDIS_PASSWORD": ("REDIS_PASSWORD", str),
        "REFUSAL_FLUSH_SECONDS": ("API_KEYS_REFUSAL_FLUSH_SECONDS", float),
        # The REST API front door (docs/rest-api.md): the sync of plans and keys to API
        # Gateway, and whether a request the gateway metered is metered again here.
        "GATEWAY_REST_API_ID": ("API_GATEWAY_REST_API_ID", str),
        "GATEWAY_STAGE": ("API_GATEWAY_REST_STAGE", str),
        "GATEWAY_METERING": ("API_KEYS_GATEWAY_METERING", bool),
        "GATEWAY_ENDPOINT_URL": ("API_GATEWAY_ENDPOINT_URL", str),
    }
)

# --- Gateway identities (apps.identity) ---------------------------------------------------
# Defaults and reasons in apps/identity/conf.py; docs/identity.md says what is trusted where.

IDENTITY = from_environment(
    {
        # Only the container behind the VPC link sets this (infra/template.yaml): there the
        # x-gateway-jwt-* headers are API Gateway's; anywhere else they are the client's.
        "GATEWAY_CLAIM_HEADERS": ("IDENTITY_GATEWAY_CLAIM_HEADERS", bool),
        "ISSUERS": ("IDENTITY_ISSUERS", list),
    }
)

# --- Conditional requests (apps.common.conditional) -------------------------------------
# Defaults in apps/common/conditional.py; docs/conditional-requests.md.

CONDITIONAL_REQUESTS = from_environment(
    {
        # True: PUT/PATCH/DELETE of pets and DELETE of photos need If-Match (else 428).
        "REQUIRE_IF_MATCH": ("REQUIRE_IF_MATCH", bool),
    }
)

# --- Idempotency keys (apps.idempotency) -------------------------------------------------
# Defaults in apps/idempotency/conf.py. REDIS_URL (the usage counters' Redis) set: the
# records live in Redis; unset: in the database.

IDEMPOTENCY = from_environment(
    {
        "TTL": ("IDEMPOTENCY_TTL", int),
        "LEASE": ("IDEMPOTENCY_LEASE", int),
        "STORE": ("IDEMPOTENCY_STORE", str),
        "REDIS_URL": ("REDIS_URL", str),
        "REDIS_KEY_PREFIX": ("IDEMPOTENCY_REDIS_KEY_PREFIX", str),
        "REDIS_PASSWORD": ("REDIS_PASSWORD", str),
    }
)

# --- Live updates (apps.realtime) -----------------------------------------------------

# Defaults and reasons in apps/realtime/conf.py; checked at start-up by apps/realtime/checks.py.
REALTIME = from_environment(
    {
        "MANAGEMENT_ENDPOINT": ("REALTIME_MANAGEMENT_ENDPOINT", str),
        "WEBSOCKET_URL": ("REALTIME_WEBSOCKET_URL", str),
        "TICKET_TTL": ("REALTIME_TICKET_TTL", int),
        "MAX_CONNECTIONS_PER_KEY": ("REALTIME_MAX_CONNECTIONS_PER_KEY", int),
        "INLINE_FANOUT_MAX": ("REALTIME_INLINE_FANOUT_MAX", int),
        "SEND_CONCURRENCY": ("REALTIME_SEND_CONCURRENCY", int),
        "FANOUT_FUNCTION": ("REALTIME_FANOUT_FUNCTION", str),
        "SWEEP_IDLE": ("REALTIME_SWEEP_IDLE", int),
    }
)

# --- Observability (apps.common.metrics, apps.common.tracing) ----------------------------
# Defaults in apps/common/metrics.py; docs/observability.md. The template sets the namespace
# to the stack's name, so two stacks in one account keep their metrics apart.

OBSERVABILITY = from_environment(
    {
        "METRICS": ("METRICS_ENABLED", bool),
        "NAMESPACE": ("METRICS_NAMESPACE", str),
        "DEEP_HEALTH_CACHE": ("DEEP_HEALTH_CACHE_SECONDS", float),
    }
)

# --- Logging ----------------------------------------------------------------------------

LOG_LEVEL = env.str("DJANGO_LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "apps.common.logging.JSONFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "gatewayproject": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "apps": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        # The access log and the photo lines carry the metrics (EMF): a higher
        # DJANGO_LOG_LEVEL must not drop them (they reach gatewayproject's handler).
        "gatewayproject.request": {"level": "INFO"},
        "gatewayproject.metrics": {"level": "INFO"},
        # 5xx with traceback only; each 4xx is already in the access log.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}
