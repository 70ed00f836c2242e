"""Loopback tier: the fake Comprehend refuses what botocore's service model refuses (a permissive fake
proves nothing about the handler), with an error the operation declares, and its token map and
flywheel updates behave as the module docstring states."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from comprehend_loopback import comprehend as fake
from comprehend_loopback.comprehend import ApiError, FakeComprehend, Timing
from comprehend_loopback.world import World

CLASSIFIER = "arn:aws:comprehend:us-east-1:111122223333:document-classifier/news"
CLASSIFIER_V2 = "arn:aws:comprehend:us-east-1:111122223333:document-classifier/news/version/v2"
RECOGNIZER = "arn:aws:comprehend:us-east-1:111122223333:entity-recognizer/people"
RECOGNIZER_V2 = "arn:aws:comprehend:us-east-1:111122223333:entity-recognizer/people/version/v2"
FLYWHEEL = "arn:aws:comprehend:us-east-1:111122223333:flywheel/people-loop"
OTHER_FLYWHEEL = "arn:aws:comprehend:us-east-1:111122223333:flywheel/other-loop"
ENDPOINT = "arn:aws:comprehend:us-east-1:111122223333:document-classifier-endpoint/news"
ROLE = "arn:aws:iam::111122223333:role/comprehend-data-access"


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(clock: Clock) -> FakeComprehend:
    """A fake with a classifier (two versions), a recognizer and two recognizer flywheels."""
    svc = FakeComprehend(clock, Timing(create_s=10, update_s=10, delete_s=10))
    svc.add_model(CLASSIFIER)
    svc.add_model(CLASSIFIER_V2)
    svc.add_model(RECOGNIZER)
    svc.add_flywheel(FLYWHEEL, "ENTITY_RECOGNIZER", RECOGNIZER)
    svc.add_flywheel(OTHER_FLYWHEEL, "ENTITY_RECOGNIZER", RECOGNIZER_V2)
    return svc


def settle(service: FakeComprehend, clock: Clock) -> None:
    while (when := service.next_change()) is not None:
        clock.t = when
        service.advance()


def create(service: FakeComprehend, **overrides: Any) -> dict[str, Any]:
    request: dict[str, Any] = {"EndpointName": "news", "ModelArn": CLASSIFIER, "DesiredInferenceUnits": 1}
    request.update(overrides)
    return service.CreateEndpoint({k: v for k, v in request.items() if v is not None})


def refused(call: Any, request: dict[str, Any]) -> ApiError:
    with pytest.raises(ApiError) as caught:
        call(request)
    return caught.value


SERVICE_MODEL = botocore.session.get_session().get_service_model("comprehend")


# -- the rules are the model's ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "rule",
    [v for v in vars(fake).values() if isinstance(v, fake.Text | fake.Integer)],
    ids=lambda rule: rule.shape,
)
def test_every_rule_has_the_bounds_and_pattern_of_its_shape_in_the_service_model(rule):
    # GIVEN the shape the rule names in botocore's service-2.json
    shape = SERVICE_MODEL.shape_for(rule.shape)
    metadata = shape.metadata
    # THEN the rule's bounds and pattern are the shape's (only anchored, see the module doc)
    assert rule.min == metadata.get("min", 0 if isinstance(rule, fake.Text) else None)
    assert rule.max == metadata.get("max")
    if isinstance(rule, fake.Text):
        assert (rule.pattern or None) == metadata.get("pattern")


@pytest.mark.parametrize("operation", sorted(fake._MEMBERS))
def test_every_checked_member_has_its_operations_shape_and_required_flag(operation):
    # GIVEN the operation's input shape in the service model
    model = SERVICE_MODEL.operation_model(operation)
    input_shape = model.input_shape
    assert input_shape is not None
    members = input_shape.members
    required = set(input_shape.required_members)
    # THEN each member the fake checks is the model's, with the model's shape and required flag
    for key, rule in fake._MEMBERS[operation].items():
        name = key.lstrip("*")
        assert members[name].name == rule.shape
        assert (name in required) == key.startswith("*")
    # AND every required scalar member of the model is checked (lists and structures separately)
    checked = {key.lstrip("*") for key in fake._MEMBERS[operation]}
    scalar_required = {n for n in required if members[n].type_name in ("string", "integer")}
    assert scalar_required <= checked
    # AND the refusal code is one the operation declares
    assert fake.INVALID in {error.name for error in model.error_shapes}


# -- ClientRequestToken ----------------------------------------------------------------------------
@pytest.mark.parametrize("token", ["has space", "under_score", "dots.in.it", "a" * 65, ""])
def test_a_client_request_token_outside_its_shape_is_refused_and_creates_nothing(service, token):
    # GIVEN a token outside ClientRequestTokenString (^[a-zA-Z0-9-]+$, 1-64 characters)
    # WHEN CreateEndpoint is called with it
    error = refused(
        service.CreateEndpoint,
        {"EndpointName": "news", "ModelArn": CLASSIFIER, "DesiredInferenceUnits": 1, "ClientRequestToken": token},
    )
    # THEN it is refused as invalid and nothing is created
    assert error.code == "InvalidRequestException"
    assert "ClientRequestToken" in error.message
    assert service.endpoints == {}


def test_a_client_request_token_of_64_letters_digits_and_hyphens_is_accepted(service):
    # GIVEN the longest token the shape allows
    token = "A-9" * 21 + "z"
    # WHEN CreateEndpoint is called with it
    answer = create(service, ClientRequestToken=token)
    # THEN the endpoint is created under that token
    assert answer["EndpointArn"] == ENDPOINT
    assert service.tokens == {token: ENDPOINT}


# -- data-access roles -----------------------------------------------------------------------------
NOT_ROLES = [
    "arn:aws:iam::111122223333:user/comprehend-data-access",
    "arn:aws:iam::111122223333:role/",
    "arn:aws:s3:::bucket/role/comprehend",
    "arn:aws:iam::1111:role/comprehend-data-access",
    "comprehend-data-access",
]


@pytest.mark.parametrize("role", NOT_ROLES)
def test_create_with_a_data_access_role_that_is_not_an_iam_role_is_refused(service, role):
    # GIVEN a DataAccessRoleArn outside IamRoleArn (arn:aws(-[^:]+)?:iam::[0-9]{12}:role/.+, 20-2048)
    # WHEN CreateEndpoint is called with it
    error = refused(
        service.CreateEndpoint,
        {"EndpointName": "news", "ModelArn": CLASSIFIER, "DesiredInferenceUnits": 1, "DataAccessRoleArn": role},
    )
    # THEN it is refused and nothing is created
    assert (error.code, service.endpoints) == ("InvalidRequestException", {})


@pytest.mark.parametrize("role", NOT_ROLES)
def test_update_with_a_desired_data_access_role_that_is_not_an_iam_role_is_refused(service, clock, role):
    # GIVEN an endpoint in service
    create(service)
    settle(service, clock)
    # WHEN UpdateEndpoint names a DesiredDataAccessRoleArn that is not a role
    error = refused(service.UpdateEndpoint, {"EndpointArn": ENDPOINT, "DesiredDataAccessRoleArn": role})
    # THEN it is refused and the endpoint is unchanged
    assert error.code == "InvalidRequestException"
    assert service.endpoints[ENDPOINT].status == "IN_SERVICE"
    assert service.endpoints[ENDPOINT].desired_role is None


def test_a_data_access_role_arn_is_accepted_in_any_partition(service):
    # GIVEN a role ARN of the aws-cn partition (the model allows any partition)
    role = "arn:aws-cn:iam::111122223333:role/comprehend-data-access"
    # WHEN CreateEndpoint is called with it
    create(service, DataAccessRoleArn=role)
    # THEN the endpoint carries that role
    assert service.endpoints[ENDPOINT].role == role


# -- ListEndpoints ---------------------------------------------------------------------------------
@pytest.mark.parametrize("max_results", [0, -1, 501, "10", True])
def test_list_endpoints_refuses_max_results_outside_one_to_500(service, max_results):
    # GIVEN MaxResults outside MaxResultsInteger (an integer, 1-500)
    # WHEN ListEndpoints is called with it
    error = refused(service.ListEndpoints, {"MaxResults": max_results})
    # THEN it is refused as invalid
    assert error.code == "InvalidRequestException"


def test_list_endpoints_pages_with_max_results_up_to_500(service):
    # GIVEN two endpoints
    create(service)
    create(service, EndpointName="news-2")
    # WHEN they are listed one per page, then 500 per page
    first = service.ListEndpoints({"MaxResults": 1})
    second = service.ListEndpoints({"MaxResults": 1, "NextToken": first["NextToken"]})
    everything = service.ListEndpoints({"MaxResults": 500})
    # THEN the pages hold each endpoint once, and 500 holds them all
    listed = [p["EndpointArn"] for p in first["EndpointPropertiesList"] + second["EndpointPropertiesList"]]
    assert listed == sorted(service.endpoints)
    assert "NextToken" not in second
    assert len(everything["EndpointPropertiesList"]) == 2


@pytest.mark.parametrize("token", ["garbage", "-1", "1", "loopback-page-x", "loopback-page--1", ""])
def test_a_next_token_the_service_did_not_hand_out_is_refused_cleanly(service, token):
    # GIVEN two endpoints, listed one per page
    create(service)
    create(service, EndpointName="news-2")
    # WHEN ListEndpoints is continued with a NextToken it never gave
    error = refused(service.ListEndpoints, {"MaxResults": 1, "NextToken": token})
    # THEN it is an InvalidRequestException, not a Python error
    assert error.code == "InvalidRequestException"


# -- malformed ARNs --------------------------------------------------------------------------------
MALFORMED_ENDPOINTS = [
    "news",
    "arn:aws:comprehend:us-east-1:111122223333:document-classifier/news",
    "arn:aws:comprehend:us-east-1:1111:document-classifier-endpoint/news",
    "arn:aws:comprehend:us-east-1:111122223333:document-classifier-endpoint/news_1",
    "arn:aws:sagemaker:us-east-1:111122223333:document-classifier-endpoint/news",
    ENDPOINT + "-" * 300,
]


@pytest.mark.parametrize("operation", ["DescribeEndpoint", "UpdateEndpoint", "DeleteEndpoint"])
@pytest.mark.parametrize("arn", MALFORMED_ENDPOINTS)
def test_a_malformed_endpoint_arn_is_invalid_not_missing(service, operation, arn):
    # GIVEN an EndpointArn outside ComprehendEndpointArn
    # WHEN an endpoint operation names it
    error = refused(getattr(service, operation), {"EndpointArn": arn, "DesiredInferenceUnits": 2})
    # THEN it is a validation error, not ResourceNotFoundException
    assert error.code == "InvalidRequestException"


@pytest.mark.parametrize("operation", ["DescribeEndpoint", "UpdateEndpoint", "DeleteEndpoint"])
def test_a_well_formed_arn_of_no_endpoint_is_still_not_found(service, operation):
    # GIVEN a well-formed endpoint ARN nothing exists at
    # WHEN an endpoint operation names it
    error = refused(getattr(service, operation), {"EndpointArn": ENDPOINT, "DesiredInferenceUnits": 2})
    # THEN the answer is ResourceNotFoundException
    assert error.code == "ResourceNotFoundException"


@pytest.mark.parametrize(
    ("operation", "request_"),
    [
        ("ListTagsForResource", {"ResourceArn": "news"}),
        ("TagResource", {"ResourceArn": "arn:aws:comprehend:us-east-1:111122223333:news", "Tags": []}),
        ("UntagResource", {"ResourceArn": "arn:aws:iam::111122223333:role/x", "TagKeys": ["a"]}),
        ("CreateEndpoint", {"EndpointName": "news", "DesiredInferenceUnits": 1, "ModelArn": CLASSIFIER + "/v2"}),
        ("CreateEndpoint", {"EndpointName": "news", "DesiredInferenceUnits": 1, "FlywheelArn": "people-loop"}),
        ("UpdateEndpoint", {"EndpointArn": ENDPOINT, "DesiredModelArn": "arn:aws:comprehend:::document-classifier/x"}),
        ("UpdateEndpoint", {"EndpointArn": ENDPOINT, "FlywheelArn": FLYWHEEL.replace("flywheel", "flywheels")}),
        ("DescribeFlywheel", {"FlywheelArn": RECOGNIZER}),
        ("ListEndpoints", {"Filter": {"ModelArn": ENDPOINT}}),
    ],
)
def test_a_malformed_resource_model_or_flywheel_arn_is_invalid_not_missing(service, clock, operation, request_):
    # GIVEN an endpoint in service (so that only the malformed ARN can be what is wrong)
    create(service)
    settle(service, clock)
    # WHEN an operation names a ResourceArn, ModelArn or FlywheelArn outside its shape
    error = refused(getattr(service, operation), request_)
    # THEN it is a validation error, and the endpoint is untouched
    assert error.code == "InvalidRequestException"
    assert service.endpoints[ENDPOINT].status == "IN_SERVICE"


@pytest.mark.parametrize(
    ("operation", "request_"),
    [
        ("CreateEndpoint", {"ModelArn": CLASSIFIER, "DesiredInferenceUnits": 1}),
        ("CreateEndpoint", {"EndpointName": "news", "ModelArn": CLASSIFIER}),
        ("CreateEndpoint", {"EndpointName": "news", "ModelArn": CLASSIFIER, "DesiredInferenceUnits": "1"}),
        ("DescribeEndpoint", {}),
        ("TagResource", {"ResourceArn": ENDPOINT}),
        ("UntagResource", {"ResourceArn": ENDPOINT}),
    ],
)
def test_a_missing_or_mistyped_member_is_invalid_not_a_python_error(service, operation, request_):
    # GIVEN a request missing a member the model requires, or with a member of the wrong type
    # WHEN the operation is called
    error = refused(getattr(service, operation), request_)
    # THEN it is refused as invalid
    assert error.code == "InvalidRequestException"


@pytest.mark.parametrize(
    ("operation", "request_"),
    [("DescribeEndpoint", ["EndpointArn", ENDPOINT]), ("ListEndpoints", {"Filter": "ModelArn"})],
)
def test_a_request_or_filter_that_is_not_an_object_is_invalid(service, operation, request_):
    # GIVEN a request body (or an EndpointFilter) that is not a JSON object
    # WHEN the operation is called with it
    error = refused(getattr(service, operation), request_)
    # THEN it is refused as invalid, not a Python error
    assert error.code == "InvalidRequestException"


def test_the_authorizer_learns_no_endpoint_arn_from_a_mistyped_create(service):
    # GIVEN CreateEndpoint requests whose name or model is not a string (the server authorizes before
    # the operation validates)
    # WHEN the authorizer asks which endpoint ARN they would create
    # THEN there is none, rather than a Python error
    assert service.arn_for_create({"EndpointName": 7, "ModelArn": CLASSIFIER}) is None
    assert service.arn_for_create({"EndpointName": "news", "ModelArn": ["x"]}) is None
    assert service.arn_for_create({"EndpointName": "news", "ModelArn": CLASSIFIER}) == ENDPOINT
    assert service.tag_keys(["not", "hashable"]) == {}


def test_an_endpoint_name_outside_its_shape_is_refused_as_invalid(service):
    # GIVEN a name over ComprehendEndpointName's 40 characters
    # WHEN CreateEndpoint is called with it
    error = refused(
        service.CreateEndpoint, {"EndpointName": "n" * 41, "ModelArn": CLASSIFIER, "DesiredInferenceUnits": 1}
    )
    # THEN it is refused with the one code the loopback uses for model violations
    assert (error.code, service.endpoints) == ("InvalidRequestException", {})


# -- the token map ---------------------------------------------------------------------------------
def test_a_replayed_token_naming_the_same_endpoint_returns_it_and_creates_nothing(service, clock):
    # GIVEN an endpoint created with a token
    create(service, ClientRequestToken="tok-1")
    clock.t = 5
    # WHEN the same request is replayed (by a retry)
    answer = create(service, ClientRequestToken="tok-1")
    # THEN the same endpoint is returned and nothing new is created
    assert answer == {"EndpointArn": ENDPOINT, "ModelArn": CLASSIFIER}
    assert service.creates == [ENDPOINT]


@pytest.mark.parametrize(
    "other", [{"EndpointName": "sports"}, {"ModelArn": RECOGNIZER}, {"ModelArn": None, "FlywheelArn": FLYWHEEL}]
)
def test_a_token_reused_for_another_endpoint_is_refused_and_creates_nothing(service, other):
    # GIVEN an endpoint created with a token
    create(service, ClientRequestToken="tok-1")
    # WHEN the token comes back with another name, or the same name of another endpoint type
    error = refused(lambda r: create(service, ClientRequestToken="tok-1", **r), other)
    # THEN it is refused and nothing is created (not the old ARN under the new name)
    assert error.code == "InvalidRequestException"
    assert service.creates == [ENDPOINT]
    assert set(service.endpoints) == {ENDPOINT}


def test_a_token_reused_with_an_unknown_flywheel_is_answered_as_a_new_request_would_be(service):
    # GIVEN an endpoint created with a token
    create(service, ClientRequestToken="tok-1")
    # WHEN the token comes back naming a well-formed flywheel that does not exist (its type unknown)
    missing = "arn:aws:comprehend:us-east-1:111122223333:flywheel/missing"
    error = refused(
        lambda r: create(service, ClientRequestToken="tok-1", **r), {"ModelArn": None, "FlywheelArn": missing}
    )
    # THEN the flywheel is not found, and nothing is created
    assert error.code == "ResourceNotFoundException"
    assert service.creates == [ENDPOINT]


def test_a_deleted_endpoints_token_is_forgotten_and_creates_a_new_endpoint(service, clock):
    # GIVEN an endpoint created with a token, then deleted until gone
    create(service, ClientRequestToken="tok-1")
    settle(service, clock)
    service.DeleteEndpoint({"EndpointArn": ENDPOINT})
    settle(service, clock)
    assert service.endpoints == {} and service.tokens == {}
    # WHEN CreateEndpoint is called with the same token, once for another name and once for the old one
    sports = create(service, ClientRequestToken="tok-1", EndpointName="sports")["EndpointArn"]
    settle(service, clock)
    service.DeleteEndpoint({"EndpointArn": sports})
    settle(service, clock)
    again = create(service, ClientRequestToken="tok-1")
    # THEN each creates a new endpoint
    assert sports.endswith("/sports")
    assert again["EndpointArn"] == ENDPOINT
    assert service.creates == [ENDPOINT, sports, ENDPOINT]
    assert service.endpoints[ENDPOINT].status == "CREATING"


def test_a_token_is_remembered_while_its_endpoint_is_being_deleted(service, clock):
    # GIVEN an endpoint created with a token, now DELETING
    create(service, ClientRequestToken="tok-1")
    settle(service, clock)
    service.DeleteEndpoint({"EndpointArn": ENDPOINT})
    # WHEN the token comes back with another name
    error = refused(lambda r: create(service, ClientRequestToken="tok-1", **r), {"EndpointName": "sports"})
    # THEN it is still refused: the endpoint exists until it is gone
    assert error.code == "InvalidRequestException"


# -- UpdateEndpoint with a flywheel ----------------------------------------------------------------
def test_update_with_a_new_flywheel_switches_to_its_active_model(service, clock):
    # GIVEN a recognizer endpoint created from a flywheel
    arn = service.CreateEndpoint({"EndpointName": "people", "FlywheelArn": FLYWHEEL, "DesiredInferenceUnits": 1})[
        "EndpointArn"
    ]
    settle(service, clock)
    # WHEN it is updated to another flywheel
    answer = service.UpdateEndpoint({"EndpointArn": arn, "FlywheelArn": OTHER_FLYWHEEL})
    described = service.DescribeEndpoint({"EndpointArn": arn})["EndpointProperties"]
    # THEN the desired model is that flywheel's active model, served once the update is done
    assert answer == {"DesiredModelArn": RECOGNIZER_V2}
    assert described["DesiredModelArn"] == RECOGNIZER_V2
    assert described["FlywheelArn"] == OTHER_FLYWHEEL
    settle(service, clock)
    assert service.DescribeEndpoint({"EndpointArn": arn})["EndpointProperties"]["ModelArn"] == RECOGNIZER_V2


def test_update_with_a_flywheel_and_a_desired_model_deploys_the_desired_model(service, clock):
    # GIVEN a recognizer endpoint created from a flywheel
    arn = service.CreateEndpoint({"EndpointName": "people", "FlywheelArn": FLYWHEEL, "DesiredInferenceUnits": 1})[
        "EndpointArn"
    ]
    settle(service, clock)
    # WHEN it is updated to another flywheel and, explicitly, to the first flywheel's model
    answer = service.UpdateEndpoint({"EndpointArn": arn, "FlywheelArn": OTHER_FLYWHEEL, "DesiredModelArn": RECOGNIZER})
    # THEN the explicit DesiredModelArn is the desired model (assumed, see the module doc)
    assert answer == {"DesiredModelArn": RECOGNIZER}
    assert service.endpoints[arn].desired_model_arn == RECOGNIZER
    assert service.endpoints[arn].flywheel == OTHER_FLYWHEEL


def test_update_with_an_unknown_flywheel_is_not_found_and_changes_nothing(service, clock):
    # GIVEN a recognizer endpoint in service
    arn = service.CreateEndpoint({"EndpointName": "people", "ModelArn": RECOGNIZER, "DesiredInferenceUnits": 1})[
        "EndpointArn"
    ]
    settle(service, clock)
    # WHEN it is updated to a well-formed flywheel that does not exist
    missing = "arn:aws:comprehend:us-east-1:111122223333:flywheel/missing"
    error = refused(service.UpdateEndpoint, {"EndpointArn": arn, "FlywheelArn": missing})
    # THEN the flywheel is not found and the endpoint stays as it was
    assert error.code == "ResourceNotFoundException"
    assert (service.endpoints[arn].status, service.endpoints[arn].flywheel) == ("IN_SERVICE", None)


# -- tags ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "tags",
    [
        [{"Key": "k" * 129, "Value": "v"}],
        [{"Key": "", "Value": "v"}],
        [{"Key": "k", "Value": "v" * 257}],
        [{"Value": "no key"}],
        [{"Key": 7, "Value": "v"}],
        [{"Key": "k", "Value": None}],
        "k=v",
    ],
)
def test_tags_outside_tag_key_and_tag_value_are_refused(service, clock, tags):
    # GIVEN an endpoint in service
    create(service)
    settle(service, clock)
    # WHEN TagResource (or CreateEndpoint) gets a tag outside TagKey (1-128) / TagValue (0-256)
    error = refused(service.TagResource, {"ResourceArn": ENDPOINT, "Tags": tags})
    created = refused(
        service.CreateEndpoint,
        {"EndpointName": "other", "ModelArn": CLASSIFIER, "DesiredInferenceUnits": 1, "Tags": tags},
    )
    # THEN both are refused as invalid, and nothing is tagged or created
    assert (error.code, created.code) == ("InvalidRequestException", "InvalidRequestException")
    assert service.endpoints[ENDPOINT].tags == {}
    assert set(service.endpoints) == {ENDPOINT}


@pytest.mark.parametrize("keys", [["k" * 129], [""], [None], "k"])
def test_untag_keys_outside_tag_key_are_refused(service, clock, keys):
    # GIVEN an endpoint carrying a tag
    create(service, Tags=[{"Key": "k", "Value": "v"}])
    settle(service, clock)
    # WHEN UntagResource names a key outside TagKey (1-128 characters)
    error = refused(service.UntagResource, {"ResourceArn": ENDPOINT, "TagKeys": keys})
    # THEN it is refused and the tag stays
    assert error.code == "InvalidRequestException"
    assert service.endpoints[ENDPOINT].tags == {"k": "v"}


def test_the_model_bounds_of_tag_keys_and_values_are_accepted(service, clock):
    # GIVEN an endpoint in service
    create(service)
    settle(service, clock)
    # WHEN it is tagged with a 128-character key (256-character value) and an empty value
    # (the model's bounds, above the developer guide's 127 and 255)
    service.TagResource(
        {"ResourceArn": ENDPOINT, "Tags": [{"Key": "k" * 128, "Value": "v" * 256}, {"Key": "e", "Value": ""}]}
    )
    service.UntagResource({"ResourceArn": ENDPOINT, "TagKeys": ["e"]})
    # THEN the tags are set, and untagged by key
    assert service.endpoints[ENDPOINT].tags == {"k" * 128: "v" * 256}


# -- through the wire --------------------------------------------------------------------------------
@pytest.fixture
def unvalidated(tmp_path) -> Iterator[tuple[World, Any]]:
    """A started world and a Comprehend client that skips botocore's own validation (no retries), so
    the test sees what the server answers."""
    with World.start(tmp_path) as world:
        world.comprehend.add_model(CLASSIFIER)
        config = Config(parameter_validation=False, retries={"total_max_attempts": 1})
        yield world, boto3.client("comprehend", config=config)


@pytest.mark.parametrize(
    ("operation", "kwargs"),
    [
        ("list_endpoints", {"NextToken": "garbage"}),
        ("list_endpoints", {"MaxResults": 501}),
        ("describe_endpoint", {"EndpointArn": "news"}),
        (
            "create_endpoint",
            {
                "EndpointName": "news",
                "ModelArn": CLASSIFIER,
                "DesiredInferenceUnits": 1,
                "ClientRequestToken": "not a token",
            },
        ),
        (
            "create_endpoint",
            {
                "EndpointName": "news",
                "ModelArn": CLASSIFIER,
                "DesiredInferenceUnits": 1,
                "DataAccessRoleArn": "arn:aws:iam::111122223333:user/someone",
            },
        ),
        ("untag_resource", {"ResourceArn": ENDPOINT, "TagKeys": ["k" * 129]}),
    ],
)
def test_the_server_answers_a_request_outside_the_model_with_invalid_request(unvalidated, operation, kwargs):
    # GIVEN a client that does not validate its parameters
    world, client = unvalidated
    # WHEN it sends a request outside the model
    with pytest.raises(ClientError) as caught:
        getattr(client, operation)(**kwargs)
    # THEN the server answers InvalidRequestException (a 400), and nothing was created
    assert caught.value.response["Error"]["Code"] == "InvalidRequestException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert world.comprehend.endpoints == {}
