"""Photo fixtures: a private MEDIA_ROOT per test, on-commit execution, and a moto S3 bucket."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from apps.pets.models import Pet
from tests.factories import PetFactory

BUCKET = "photos-test-bucket"
REGION = "eu-west-1"


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    """Every test stores its files in its own directory, never in the checkout's media/."""
    root = tmp_path / "media"
    settings.MEDIA_ROOT = str(root)
    return root


@pytest.fixture
def media_files(media_root: Path) -> Callable[[], set[str]]:
    """The stored file names under MEDIA_ROOT, relative to it."""

    def files() -> set[str]:
        if not media_root.exists():
            return set()
        return {str(p.relative_to(media_root)) for p in media_root.rglob("*") if p.is_file()}

    return files


@pytest.fixture
def commit(
    django_capture_on_commit_callbacks: Callable[..., AbstractContextManager[Any]],
) -> Callable[[], AbstractContextManager[Any]]:
    """`with commit(): ...` runs the on-commit callbacks (storage deletes) of what it wraps.

    Tests run inside a transaction that never commits; this stands in for the commit.
    """
    return lambda: django_capture_on_commit_callbacks(execute=True)


class Bucket:
    """The moto bucket, for assertions about which objects exist."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.name = BUCKET

    def keys(self, prefix: str = "") -> set[str]:
        listing = self.client.list_objects_v2(Bucket=BUCKET, Prefix=prefix)
        return {item["Key"] for item in listing.get("Contents", [])}

    def put(self, key: str, body: bytes, content_type: str = "image/jpeg") -> None:
        self.client.put_object(Bucket=BUCKET, Key=key, Body=body, ContentType=content_type)

    def get(self, key: str) -> bytes:
        return bytes(self.client.get_object(Bucket=BUCKET, Key=key)["Body"].read())


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dummy credentials and a region, so nothing can reach (or bill) a real account."""
    for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


@pytest.fixture
def s3(settings: Any, aws_credentials: None) -> Iterator[Bucket]:
    """STORAGES["default"] on django-storages' S3Storage, against a moto bucket."""
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {
                    "bucket_name": BUCKET,
                    "region_name": REGION,
                    "signature_version": "s3v4",
                    "querystring_auth": True,
                    "default_acl": None,
                    "file_overwrite": True,
                },
            },
        }
        yield Bucket(client)


@pytest.fixture
def pet(user: Any) -> Pet:
    return PetFactory(owner=user, name="Rex")


@pytest.fixture
def other_pet(other_user: Any) -> Pet:
    return PetFactory(owner=other_user, name="Not yours")


@pytest.fixture(scope="session")
def big_jpeg() -> bytes:
    """A 20-25 MB JPEG (random pixels at quality 100), made once per test run."""
    from tests.photos import images

    return images.noisy_jpeg((4000, 2800), quality=100)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every file processing or an upload opens must be closed: a leak fails the test."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.filterwarnings("error::ResourceWarning"))
            item.add_marker(
                pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
            )
