"""A real S3-compatible server on loopback for the object-store file backend: moto's server
(``python -m moto.server``), a separate process that speaks the S3 protocol over HTTP. boto3
and django-storages talk to it exactly as to a cloud bucket; nothing in Kobling is patched.

``s3_bucket`` points ``STORAGES["private"]`` at a new, empty bucket for one test."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid

import boto3
import pytest

from tests.smtp import free_port

ACCESS = {"aws_access_key_id": "kobling-test", "aws_secret_access_key": "kobling-test-secret"}
REGION = "eu-north-1"


@pytest.fixture(scope="session")
def s3_endpoint():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("the S3 server (moto) did not start") from None
            time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def s3_client(endpoint: str):  # noqa: ANN201
    return boto3.client("s3", endpoint_url=endpoint, region_name=REGION, **ACCESS)


def new_bucket(endpoint: str) -> str:
    name = f"kobling-{uuid.uuid4().hex[:12]}"
    s3_client(endpoint).create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    return name


def private_store(endpoint: str, bucket: str) -> dict:
    """``STORAGES["private"]`` as settings.py builds it for KOBLING_FILE_STORE=s3."""
    return {
        "BACKEND": "kobling.core.object_store.PrivateS3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint,
            "region_name": REGION,
            "access_key": ACCESS["aws_access_key_id"],
            "secret_key": ACCESS["aws_secret_access_key"],
        },
    }


@pytest.fixture
def s3_bucket(settings, s3_endpoint, tmp_path):
    """The private file store is a new, empty bucket (and MEDIA_ROOT an empty folder, to show
    that nothing lands there)."""
    bucket = new_bucket(s3_endpoint)
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES, "private": private_store(s3_endpoint, bucket)}
    return bucket


def object_keys(endpoint: str, bucket: str) -> list[str]:
    listed = s3_client(endpoint).list_objects_v2(Bucket=bucket)
    return sorted(item["Key"] for item in listed.get("Contents", []))
