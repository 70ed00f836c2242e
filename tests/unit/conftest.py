"""The contract tier's stubbed Comprehend client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber


@pytest.fixture
def comprehend() -> Iterator[tuple[Any, Stubber]]:
    """A Comprehend client whose every call must have been stubbed, in order, with valid parameters."""
    client = boto3.client("comprehend", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()
