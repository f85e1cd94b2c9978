"""Cold start: serving pets must not import boto3, botocore, the S3 backend or Pillow."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ["boto3", "botocore", "storages.backends.s3", "PIL"]

SCRIPT = """
import json, sys
import django
django.setup()
from django.test import Client
from django.urls import get_resolver
get_resolver().url_patterns  # The whole URLconf, photos views included.
status = Client().get("/v1/pets").status_code
before = {name: name in sys.modules for name in HEAVY}
from django.core.files.storage import storages
storages["default"]  # The first photo operation builds the storage.
after = {name: name in sys.modules for name in HEAVY}
print(json.dumps({"status": status, "before": before, "after": after}))
"""


def test_pets_request_path_imports_no_aws_sdk_or_pillow() -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gatewayproject.settings.test",
        "AWS_STORAGE_BUCKET_NAME": "photos-bucket",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }
    script = f"HEAVY = {HEAVY!r}\n{SCRIPT}"
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["status"] in (401, 403)
    assert report["before"] == dict.fromkeys(HEAVY, False)
    # The check can fail: building the S3 storage does import the SDK.
    assert report["after"]["boto3"] is True
    assert report["after"]["storages.backends.s3"] is True
