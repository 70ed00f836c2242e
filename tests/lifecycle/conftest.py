"""Lifecycle tier: the handler driven request by request as CloudFormation and Lambda drive it, against
the loopback world, with every call authorized against the policy the construct synthesizes."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from comprehend_loopback.cloudformation import FUNCTION_ARN, LOG_GROUP, STACK_ID
from comprehend_loopback.comprehend import ACCOUNT, REGION, Timing
from comprehend_loopback.template import Conditions, Resolver
from comprehend_loopback.world import World

CLASSIFIER = "arn:aws:comprehend:us-east-1:111122223333:document-classifier/news"
CLASSIFIER_V2 = "arn:aws:comprehend:us-east-1:111122223333:document-classifier/news/version/v2"
RECOGNIZER = "arn:aws:comprehend:us-east-1:111122223333:entity-recognizer/people"
FLYWHEEL = "arn:aws:comprehend:us-east-1:111122223333:flywheel/people-loop"
OTHER_FLYWHEEL = "arn:aws:comprehend:us-east-1:111122223333:flywheel/other-loop"
ROLE = "arn:aws:iam::111122223333:role/comprehend-data-access"
ROLE_2 = "arn:aws:iam::111122223333:role/comprehend-data-access-2"
HANDLER_ROLE = f"arn:aws:iam::{ACCOUNT}:role/ComprehendEndpointStack-ComprehendEndpointProviderRole-XyZ"
ENDPOINT_NAMES = ["news", "news-v2", "people", "x", *(f"ep-{i:02d}" for i in range(20))]
"""Every endpoint name the request-level tests use: the policy names them as a template would."""
OTHER_MODELS = [
    "arn:aws:comprehend:us-east-1:111122223333:document-classifier/broken",
    "arn:aws:comprehend:us-east-1:111122223333:document-classifier/unknown",
]
"""Models some tests name that the world lacks or fails: a template naming them would allow them too."""
MISSING_FLYWHEEL = "arn:aws:comprehend:us-east-1:111122223333:flywheel/missing"


def endpoint_arn(name: str, kind: str = "document-classifier") -> str:
    """The ARN of endpoint ``name`` of a ``kind`` model (``document-classifier`` or ``entity-recognizer``) in
    the loopback's account and region."""
    return f"arn:aws:comprehend:{REGION}:{ACCOUNT}:{kind}-endpoint/{name}"


ARN = endpoint_arn("news")
"""Endpoint "news", the one ``props()`` names."""
ARN_V2 = endpoint_arn("news-v2")
"""Endpoint "news-v2", the name a rename (replacement) of news takes."""
MARKER = "ComprehendEndpoint-CREATE_FAILED-Endpoint"
"""The physical id a failed Create of resource Endpoint answers with when no endpoint exists."""


POLICY_CACHE = "COMPREHEND_MUTATION_POLICY_CACHE"
"""Set by ``tools/mutate.py`` only: a file where the synthesized handler policy is kept between mutants."""


def _mutant_under_test() -> str | None:
    """The mutant this run tests, as mutmut names it in ``MUTANT_UNDER_TEST`` (empty or ``stats`` for the
    unmutated recording run); None outside a mutation run (no policy cache named)."""
    if not os.environ.get(POLICY_CACHE):
        return None
    return os.environ.get("MUTANT_UNDER_TEST", "")


def _cached_policy_applies() -> bool:
    """Whether the mutant under test leaves the synthesized policy as it is: a mutant of the handler's package,
    which the construct does not run while it synthesizes. Except ``contract``, out of caution: the construct
    loads that file too, under its own module name (``cdk_comprehend_endpoint._handler_contract``), where mutmut
    switches no mutant on today. Outside a mutation run, or for any other mutant, never."""
    mutant = _mutant_under_test()
    return (
        mutant is not None and mutant.startswith("comprehend_cr.") and not mutant.startswith("comprehend_cr.contract.")
    )


def _writes_policy_cache() -> bool:
    """Whether this run's policy is the unmutated one the cache keeps: a mutation run's recording run, which
    tests no mutant of either package. Outside a mutation run, never."""
    mutant = _mutant_under_test()
    return mutant is not None and not mutant.startswith(("comprehend_cr.", "cdk_comprehend_endpoint."))


@pytest.fixture(scope="session")
def handler_policies(tmp_path_factory) -> list[dict[str, Any]]:
    """The handler's policy as the construct synthesizes it for a template holding the tests' endpoint
    names, models, flywheels and roles, resolved the way CloudFormation would for the request-level
    driver's stack and function.

    Mutation runs only: a mutant of a handler module the construct does not load reads the policy an unmutated
    run wrote (``COMPREHEND_MUTATION_POLICY_CACHE``), and so does not start a jsii kernel of its own."""
    cache = Path(os.environ.get(POLICY_CACHE, "unset"))
    if _cached_policy_applies() and cache.is_file():
        cached: list[dict[str, Any]] = json.loads(cache.read_text())
        return cached
    policies = _synthesized_policies(tmp_path_factory)
    if _writes_policy_cache():
        # The unmutated code (mutmut's recording run): written whole, then renamed, for readers in other workers.
        partial = cache.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(policies))
        partial.replace(cache)
    return policies


def _synthesized_policies(tmp_path_factory) -> list[dict[str, Any]]:
    import aws_cdk as cdk

    from cdk_comprehend_endpoint import ComprehendEndpoint
    from cdk_comprehend_endpoint._provider import EndpointProvider

    app = cdk.App(outdir=str(tmp_path_factory.mktemp("policy")))
    stack = cdk.Stack(app, "ComprehendEndpointStack", env=cdk.Environment(account=ACCOUNT, region=REGION))
    ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER, endpoint_name="news")
    provider = EndpointProvider.of(stack)
    for name in ENDPOINT_NAMES:
        for kind in ("document-classifier-endpoint", "entity-recognizer-endpoint"):
            provider.allow_create(f"arn:aws:comprehend:{REGION}:{ACCOUNT}:{kind}/{name}")
    for model in (CLASSIFIER, CLASSIFIER_V2, RECOGNIZER, *OTHER_MODELS):
        provider.allow_model(model)
    for flywheel in (FLYWHEEL, OTHER_FLYWHEEL, MISSING_FLYWHEEL):
        provider.allow_flywheel(flywheel)
    for role in (ROLE, ROLE_2):
        provider.allow_pass_role(role)
    template = app.synth().get_stack_by_name("ComprehendEndpointStack").template
    resources = template["Resources"]
    physical = {
        lid: {"AWS::Lambda::Function": FUNCTION_ARN.rsplit(":", 1)[1], "AWS::Logs::LogGroup": LOG_GROUP}.get(
            r["Type"], lid
        )
        for lid, r in resources.items()
    }
    attributes = {
        lid: {
            "Arn": {
                "AWS::Lambda::Function": FUNCTION_ARN,
                "AWS::Logs::LogGroup": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{LOG_GROUP}:*",
            }.get(r["Type"], f"arn:aws:unknown:::{lid}")
        }
        for lid, r in resources.items()
    }
    pseudo = {"AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "AWS::Partition": "aws", "AWS::StackId": STACK_ID}
    resolver = Resolver(
        pseudo=pseudo,
        parameters={},
        physical_ids=physical,
        attributes=attributes,
        conditions=Conditions({}, {}),
        exports={},
    )
    return [
        resolver.resolve(r["Properties"]["PolicyDocument"])
        for r in resources.values()
        if r["Type"] == "AWS::IAM::Policy"
    ]


@pytest.fixture
def make_world(tmp_path, handler_policies) -> Callable[..., Any]:
    """``with make_world(timing) as world``: a started world whose default caller (the handler built by
    ``world.handler()``) is held to the synthesized policy, with the tests' models in place."""

    @contextmanager
    def start(timing: Timing | None = None) -> Iterator[World]:
        with World.start(tmp_path, timing) as w:
            principal = w.aws.register_principal("loopback", HANDLER_ROLE)
            for index, document in enumerate(handler_policies):
                principal.policies[f"handler-{index}"] = document
            w.comprehend.add_model(CLASSIFIER)
            w.comprehend.add_model(CLASSIFIER_V2)
            w.comprehend.add_model(RECOGNIZER)
            yield w

    return start


@pytest.fixture(autouse=True)
def no_response_url_in_any_log(monkeypatch, caplog, capfd) -> Iterator[None]:
    """Every lifecycle test, refused and garbled deliveries included, runs with the handler at DEBUG and
    fails if the pre-signed ResponseURL (or its signature) shows up in any log record or output."""
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    caplog.set_level(logging.DEBUG)
    yield
    out, err = capfd.readouterr()
    records = "".join(f"{r.msg}{r.args}" for r in caplog.records)
    for text in (caplog.text, out, err, records):
        assert "SECRET-SIGNATURE" not in text
        assert "cloudformation-custom-resource-response" not in text


@pytest.fixture
def world(make_world) -> Iterator[World]:
    with make_world() as w:
        yield w


@pytest.fixture
def cfn(world):
    return world.cloudformation()


def props(**overrides):
    base = {"EndpointName": "news", "ModelArn": CLASSIFIER, "DesiredInferenceUnits": 1}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def created(cfn, **overrides):
    """Create resource Endpoint (``props(**overrides)``), expect SUCCESS, and return its physical id."""
    answer = cfn.create("Endpoint", props(**overrides))
    assert answer.body["Status"] == "SUCCESS", answer.body
    return answer.body["PhysicalResourceId"]


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
    """The endpoint's tags without the reserved tags the handler adds (ownership, creating request, mark)."""
    return {k: v for k, v in endpoint.tags.items() if not k.startswith("cdk-comprehend-endpoint:")}


def owned_by(cfn, logical_id="Endpoint", request_id="an-earlier-request"):
    """The reserved tags an endpoint that request ``request_id`` of ``logical_id`` in ``cfn``'s stack created
    carries, as CreateEndpoint Tags."""
    return [
        {"Key": "cdk-comprehend-endpoint:stack-id", "Value": cfn.stack_id},
        {"Key": "cdk-comprehend-endpoint:logical-id", "Value": logical_id},
        {"Key": "cdk-comprehend-endpoint:request-id", "Value": request_id},
    ]
