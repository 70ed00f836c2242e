"""Shared by the contract-tier tests: a Comprehend client whose answers botocore's Stubber gives, strict
about the calls it gets, and a virtual clock.

Strict, because the Stubber reports an unexpected call, or a call with other parameters than expected,
as a ``botocore.exceptions.BotoCoreError``: the lifecycle would take that for a network failure and
retry on its next round, so a test could pass while the handler makes calls it should not. Here that
error fails the test instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from botocore.exceptions import StubResponseError
from botocore.stub import Stubber


class Clock:
    """Virtual time: ``sleep`` moves it on at once."""

    def __init__(self, start: float = 1000.0) -> None:
        self.t = start

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds


class StrictClient:
    """``client`` as the lifecycle sees it, except that a call the Stubber did not expect raises an
    ``AssertionError`` (which the lifecycle does not catch) rather than a botocore error."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)

        def call(**kwargs: Any) -> Any:
            try:
                return method(**kwargs)
            except StubResponseError as exc:
                raise AssertionError(f"{name}: a call the test did not expect: {exc}") from None

        return call


@contextmanager
def stubbed_comprehend() -> Iterator[tuple[Any, Stubber]]:
    """``(client, stubber)``: queue the service's answers on ``stubber``; every one must be used."""
    client = boto3.client("comprehend", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stubber:
        yield StrictClient(client), stubber
        stubber.assert_no_pending_responses()
