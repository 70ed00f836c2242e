"""The unit tier's strict, stubbed Comprehend and CloudFormation clients (the helpers the tests share are
in stubs.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from tests.unit.stubs import StrictClient


@pytest.fixture
def comprehend() -> Iterator[tuple[Any, Stubber]]:
    """A Comprehend client whose every call must have been stubbed, in order, with valid parameters
    (an unexpected call fails the test, see ``StrictClient``)."""
    client = boto3.client("comprehend", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stubber:
        yield StrictClient(client), stubber
        stubber.assert_no_pending_responses()


@pytest.fixture
def cloudformation() -> Iterator[tuple[Any, Stubber]]:
    """A CloudFormation client, stubbed and strict like ``comprehend``."""
    client = boto3.client("cloudformation", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stubber:
        yield StrictClient(client), stubber
        stubber.assert_no_pending_responses()
