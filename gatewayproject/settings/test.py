"""pytest settings: fast hashing, local storage, DEBUG off like production."""

from .base import configure_timeouts
from .local import *  # noqa: F403
from .local import env

DEBUG = False
SECRET_KEY = "test-only-not-a-secret"  # noqa: S105
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

DATABASES = {
    "default": env.db("DATABASE_URL", default="sqlite:///:memory:"),
}
DATABASES["default"]["CONN_MAX_AGE"] = 0
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    configure_timeouts(DATABASES["default"], "none")
# A slow test machine is not a hung database: the fault tests set their own short deadline.
DATABASE_TIMEOUTS = {**DATABASE_TIMEOUTS, "REQUEST": 0.0}  # noqa: F405
DATABASES["default"]["TEST"] = {"NAME": env.str("DATABASE_TEST_NAME", default=None)}
