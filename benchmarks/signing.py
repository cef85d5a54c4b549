"""
SigV4 signing cost per request: aioec2's signer against botocore's, on the same request.

* ``aioec2``: ``SigV4Signer.sign`` of an :class:`HttpRequest`, as ``Session`` calls it;
* ``botocore SigV4Auth``: ``SigV4Auth.add_auth`` of an ``AWSRequest`` (the bare algorithm);
* ``botocore client``: the client's ``RequestSigner.sign``, what boto3 and aiobotocore run
  for every request (auth object, events and all).

Each sample builds a fresh request and signs it, so both sides pay for the request object.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from datetime import UTC, datetime

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials
from clients import ACCESS_KEY, FORM, REGION, SECRET_KEY, Ids
from scenarios import Scenario

from aioec2 import Credentials
from aioec2._core.request import HttpRequest
from aioec2.signers import SigV4Signer

__all__ = ["signing"]

SIGNERS = ("aioec2", "botocore SigV4Auth", "botocore client")


def _signers(url: str, body: bytes) -> dict[str, Callable[[], object]]:
    signer = SigV4Signer()
    creds = Credentials(ACCESS_KEY, SECRET_KEY)
    headers = (("Content-Type", FORM), ("User-Agent", "aioec2/0.1"))

    def ours() -> object:
        request = HttpRequest(method="POST", url=url, headers=headers, body=body)
        return signer.sign(request, credentials=creds, region=REGION, now=datetime.now(UTC))

    boto_creds = BotoCredentials(ACCESS_KEY, SECRET_KEY)
    boto_headers = {"Content-Type": FORM, "User-Agent": "Boto3/1"}

    def bare() -> object:
        request = AWSRequest(method="POST", url=url, data=body, headers=boto_headers)
        SigV4Auth(boto_creds, "ec2", REGION).add_auth(request)
        return request

    client = boto3.session.Session().client(
        "ec2",
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )
    request_signer = client._request_signer

    def full() -> object:
        request = AWSRequest(method="POST", url=url, data=body, headers=boto_headers)
        request_signer.sign("DescribeInstances", request)
        return client  # the signer holds it weakly: keep it alive as long as this is used

    return {"aioec2": ours, "botocore SigV4Auth": bare, "botocore client": full}


def signing(ids: Ids, rounds: int, count: int) -> Scenario:
    """Microseconds per signed request, ``count`` signatures per sample."""
    scenario = Scenario(
        key="signing",
        title="SigV4 signing, per request (a DescribeInstances POST)",
        unit="us",
        higher_is_better=False,
        note="no network; a fresh request object is built and signed each time",
    )
    url = "https://ec2.us-east-1.amazonaws.com/"
    body = ids.raw_bodies()["describe1"].encode()
    sign = _signers(url, body)
    for number in range(rounds):
        shift = number % len(SIGNERS)
        for name in SIGNERS[shift:] + SIGNERS[:shift]:
            call = sign[name]
            for _ in range(50):
                call()
            gc.collect()
            started = time.perf_counter()
            for _ in range(count):
                call()
            scenario.add(name, (time.perf_counter() - started) / count * 1e6)
    return scenario
