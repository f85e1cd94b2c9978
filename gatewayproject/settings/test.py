"""pytest settings: fast hashing, local storage, DEBUG off like production."""

import os
import tempfile
import zlib
from pathlib import Path

from .base import configure_database, configure_timeouts
from .local import *  # noqa: F403
from .local import BASE_DIR, env

DEBUG = False
SECRET_KEY = "test-only-not-a-secret"  # noqa: S105
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

DATABASES = {
    "default": env.db("DATABASE_URL", default="sqlite:///:memory:"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    configure_timeouts(DATABASES["default"], "none")
    # Named after this checkout, so two checkouts running tests at once on one shared server
    # never share a test database (under pytest-xdist each worker clones it as _gw0, _gw1,
    # ...: tests/template_db.py).
    checkout = zlib.crc32(str(BASE_DIR).encode())
    default_name = f"test_{DATABASES['default']['NAME']}_{checkout:08x}"
    DATABASES["default"]["TEST"] = {"NAME": env.str("DATABASE_TEST_NAME", default=default_name)}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The SQLite options local development runs with (WAL, IMMEDIATE transactions), on a
    # file, not Django's in-memory test database: that one is a shared cache, whose table
    # locks fail a second thread at once ("database table is locked") where a real SQLite
    # file makes it wait for the lock, as local development's db.sqlite3 does. One file per
    # run, in the temp directory (under pytest-xdist, each worker's copy of the controller's,
    # suffixed _gw0, _gw1, ...: tests/template_db.py); deleted at the end.
    # The lock wait is generous: a concurrency test's writers wait on a busy machine.
    configure_database(DATABASES["default"])
    DATABASES["default"]["OPTIONS"]["timeout"] = 60
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"gatewayproject-test-{os.getpid()}.sqlite3")
    }
DATABASES["default"]["CONN_MAX_AGE"] = 0
# A slow test machine is not a hung database: the fault tests set their own short deadline.
DATABASE_TIMEOUTS = {**DATABASE_TIMEOUTS, "REQUEST": 0.0}  # noqa: F405
