from __future__ import annotations

from collections.abc import Iterator

import pytest

from comprehend_loopback.world import World

CLASSIFIER = "arn:aws:comprehend:us-east-1:111122223333:document-classifier/news"
CLASSIFIER_V2 = "arn:aws:comprehend:us-east-1:111122223333:document-classifier/news/version/v2"
RECOGNIZER = "arn:aws:comprehend:us-east-1:111122223333:entity-recognizer/people"
FLYWHEEL = "arn:aws:comprehend:us-east-1:111122223333:flywheel/people-loop"
ROLE = "arn:aws:iam::111122223333:role/comprehend-data-access"
ROLE_2 = "arn:aws:iam::111122223333:role/comprehend-data-access-2"


@pytest.fixture
def world(tmp_path) -> Iterator[World]:
    with World.start(tmp_path) as w:
        w.comprehend.add_model(CLASSIFIER)
        w.comprehend.add_model(CLASSIFIER_V2)
        w.comprehend.add_model(RECOGNIZER)
        yield w


@pytest.fixture
def cfn(world):
    return world.cloudformation()


def props(**overrides):
    base = {"EndpointName": "news", "ModelArn": CLASSIFIER, "DesiredInferenceUnits": 1}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def assert_well_behaved(world, cfn, *, paced=True):
    """What every lifecycle test checks at the end: no invocation killed by its timeout or crashed,
    DescribeEndpoint at most once per 5 s per endpoint for each request (across its invocations),
    and nothing left in EventBridge or in the function's resource policy."""
    assert [i for i in cfn.invocations if i.timed_out or i.raised] == []
    last: dict[tuple[str, str], float] = {}
    for at, arn, request in world.aws.describes if paced else []:
        key = (arn, request)
        if key in last:
            assert at - last[key] >= 5.0, f"DescribeEndpoint {arn} twice within {at - last[key]} s"
        last[key] = at
    assert world.aws.rules == {} and world.aws.permissions == {}


def endpoint_count(world):
    return len(world.comprehend.endpoints)


OWNERSHIP_KEYS = ("cdk-comprehend-endpoint:stack-id", "cdk-comprehend-endpoint:logical-id")


def user_tags(endpoint):
    """The endpoint's tags without the ownership tags the handler adds."""
    return {k: v for k, v in endpoint.tags.items() if k not in OWNERSHIP_KEYS}


def owned_by(cfn, logical_id="Endpoint"):
    """The ownership tags an endpoint of ``logical_id`` in ``cfn``'s stack carries, as CreateEndpoint Tags."""
    return [
        {"Key": "cdk-comprehend-endpoint:stack-id", "Value": cfn.stack_id},
        {"Key": "cdk-comprehend-endpoint:logical-id", "Value": logical_id},
    ]
