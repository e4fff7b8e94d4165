"""A real S3-compatible server on loopback for the tests: moto in server mode, in a thread
of the test process, answering over HTTP like any S3 endpoint (no mocks in the client)."""
from __future__ import annotations

import secrets
import socket

import boto3
import pytest
from botocore.config import Config as BotoConfig

ACCESS_KEY = "testing-access-key"
SECRET_KEY = "testing-secret-key"
REGION = "eu-west-1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class S3Server:
    """``start()`` a moto server on 127.0.0.1; ``settings(bucket)`` gives the portal's
    configuration for it; ``client()`` is a boto3 client for looking behind the portal's back."""

    def __init__(self) -> None:
        self._server = None
        self.port = 0

    def start(self) -> S3Server:
        from moto.server import ThreadedMotoServer

        self.port = _free_port()
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()  # returns once the server listens
        self.port = self._server.get_host_and_port()[1]
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self):
        return boto3.client("s3", endpoint_url=self.endpoint_url, region_name=REGION,
                            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                            config=BotoConfig(retries={"max_attempts": 1}))

    def new_bucket(self) -> str:
        name = f"portal-{secrets.token_hex(6)}"
        self.client().create_bucket(Bucket=name,
                                    CreateBucketConfiguration={"LocationConstraint": REGION})
        return name

    def settings(self, bucket: str, prefix: str = "bestanden") -> dict:
        return {
            "STORAGE_BACKEND": "s3", "S3_BUCKET": bucket, "S3_PREFIX": prefix,
            "S3_ENDPOINT_URL": self.endpoint_url, "S3_REGION": REGION,
            "S3_ACCESS_KEY_ID": ACCESS_KEY, "S3_SECRET_ACCESS_KEY": SECRET_KEY,
        }

    def objects(self, bucket: str) -> dict[str, bytes]:
        client = self.client()
        found = {}
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                found[item["Key"]] = client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
        return found


@pytest.fixture(scope="session")
def s3_server():
    """One S3 server for a test session (import this fixture into a test module); each test
    makes its own bucket with ``new_bucket()``."""
    server = S3Server().start()
    yield server
    server.stop()
