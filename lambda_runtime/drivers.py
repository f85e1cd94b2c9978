"""The PostgreSQL driver kept out of a Lambda init whose databases are all SQLite."""

from __future__ import annotations

import os
import sys

from django.conf import settings

SQLITE = "django.db.backends.sqlite3"
# What `django.db.backends.postgresql` imports (psycopg 3, else psycopg2).
POSTGRESQL_DRIVERS = ("psycopg", "psycopg2")
# What DRF's compat imports: without a driver its import fails anyway, but only after loading
# a dozen django.contrib.postgres modules (12.7 M instructions, ~1% of a cold start).
LEFT_OUT = (*POSTGRESQL_DRIVERS, "django.contrib.postgres.fields")


def leave_out_unused_postgresql_driver() -> bool:
    """In a Lambda init (AWS_LAMBDA_INITIALIZATION_TYPE set) where every database is SQLite,
    make `import psycopg` (and psycopg2, and django.contrib.postgres.fields, which needs one)
    fail, as if not installed; True if it did.

    The package ships psycopg for RDS, and DRF imports `django.contrib.postgres.fields`, and
    with it the whole driver, whenever psycopg is installed (rest_framework.compat), to map
    PostgreSQL-only model fields, which no model on SQLite can have: ~20% of the
    instructions of a cold start on SQLite (docs/performance.md). A PostgreSQL database
    (any engine but SQLite's: the IAM engine, PostGIS) imports the driver as before. Outside
    a Lambda init (servers, tests, manage.py) nothing changes; nor if the driver is
    already imported.
    """
    if "AWS_LAMBDA_INITIALIZATION_TYPE" not in os.environ:
        return False
    if any(database.get("ENGINE") != SQLITE for database in settings.DATABASES.values()):
        return False
    if any(name in sys.modules for name in LEFT_OUT):
        return False
    for name in LEFT_OUT:
        # The import system's documented switch: a None entry makes the import raise
        # ModuleNotFoundError, which DRF's compat (and Django's psycopg_any) catch.
        sys.modules[name] = None  # type: ignore[assignment]
    return True
