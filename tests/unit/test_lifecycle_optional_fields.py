"""Unit tier (Stubber contract): the fields the service's responses may leave out, and the ones that lag.

Comprehend's API model marks ``CurrentInferenceUnits`` (DescribeEndpoint), ``Tags`` (ListTagsForResource)
and a tag's ``Value`` as optional, and the docs do not say when they are left out. These tests pin what
the handler reads in their absence, and that it waits for the units the endpoint really serves, not
the ones it was asked for.
"""

from __future__ import annotations

from tests.unit.stubs import ARN, OWNED, described, no_strays, request, run

FLYWHEEL = "arn:aws:comprehend:us-east-1:111122223333:flywheel/loop"


def update(client, **props):
    return run(client, request("Update", ARN, **props))


def describes(stub, status="IN_SERVICE", **fields):
    stub.add_response("describe_endpoint", described(status, **fields), {"EndpointArn": ARN})


def tags(stub, listed):
    stub.add_response("list_tags_for_resource", {"Tags": listed}, {"ResourceArn": ARN})


def test_an_endpoint_still_in_service_at_its_old_units_is_waited_on_until_it_serves_the_new_ones(comprehend):
    # GIVEN UpdateEndpoint accepts 2 units, and the service still shows the endpoint IN_SERVICE at 1 unit
    # (the desired units already 2) before it shows the change done
    client, stub = comprehend
    describes(stub)
    tags(stub, OWNED)
    stub.add_response("update_endpoint", {}, {"EndpointArn": ARN, "DesiredInferenceUnits": 2})
    describes(stub, DesiredInferenceUnits=2, CurrentInferenceUnits=1)
    describes(stub, DesiredInferenceUnits=2, CurrentInferenceUnits=2)
    no_strays(stub)
    # WHEN the Update runs
    outcome = update(client, DesiredInferenceUnits="2")
    # THEN it answers SUCCESS only after the endpoint serves 2 units (every stubbed call was made, in order)
    assert outcome.status == "SUCCESS"


def test_an_endpoint_reported_without_current_units_counts_its_desired_ones(comprehend):
    # GIVEN the service leaves CurrentInferenceUnits out of an endpoint in service at the desired units
    client, stub = comprehend
    describes(stub, units=2, CurrentInferenceUnits=None)
    tags(stub, OWNED)
    no_strays(stub)
    # WHEN an Update asks for those units
    outcome = update(client, DesiredInferenceUnits="2")
    # THEN it is already done: no UpdateEndpoint, no waiting
    assert (outcome.status, outcome.physical_id) == ("SUCCESS", ARN)


def test_a_tag_the_service_lists_without_a_value_matches_a_template_tag_with_an_empty_value(comprehend):
    # GIVEN the endpoint carries tag "team" with no Value, and the template gives "team" no Value either
    client, stub = comprehend
    describes(stub)
    tags(stub, [*OWNED, {"Key": "team"}])
    no_strays(stub)
    # WHEN the Update runs
    outcome = update(client, Tags=[{"Key": "team"}])
    # THEN the tags already match: no TagResource or UntagResource call
    assert outcome.status == "SUCCESS"


def test_an_endpoint_whose_tag_list_is_left_out_is_not_this_resources(comprehend):
    # GIVEN ListTagsForResource answers without a Tags field
    client, stub = comprehend
    describes(stub)
    stub.add_response("list_tags_for_resource", {}, {"ResourceArn": ARN})
    # WHEN an Update of that endpoint runs
    outcome = update(client, DesiredInferenceUnits="2")
    # THEN it is treated as an endpoint with no tags: not this resource's, left untouched
    assert (outcome.status, outcome.physical_id) == ("FAILED", ARN)
    assert f"EndpointArn: {ARN} is not this resource's" in outcome.reason


def test_an_endpoint_still_in_service_with_its_old_role_is_waited_on_until_it_shows_the_new_one(comprehend):
    # GIVEN UpdateEndpoint accepts a new data-access role, and the service still shows the old one for
    # a while, the endpoint IN_SERVICE
    client, stub = comprehend
    old_role, new_role = ("arn:aws:iam::111122223333:role/" + name for name in ("old", "new"))
    describes(stub, DataAccessRoleArn=old_role)
    tags(stub, OWNED)
    stub.add_response("update_endpoint", {}, {"EndpointArn": ARN, "DesiredDataAccessRoleArn": new_role})
    describes(stub, DataAccessRoleArn=old_role, DesiredDataAccessRoleArn=new_role)
    describes(stub, DataAccessRoleArn=new_role, DesiredDataAccessRoleArn=new_role)
    no_strays(stub)
    # WHEN the Update runs
    outcome = update(client, DataAccessRoleArn=new_role)
    # THEN it answers SUCCESS only once the endpoint shows the new role
    assert outcome.status == "SUCCESS"


def test_a_flywheel_endpoint_described_without_a_model_answers_an_empty_model_attribute(comprehend):
    # GIVEN a flywheel endpoint in service as the template wants it, which the service describes without
    # a ModelArn
    client, stub = comprehend
    stub.add_response(
        "describe_flywheel",
        {"FlywheelProperties": {"FlywheelArn": FLYWHEEL, "ModelType": "DOCUMENT_CLASSIFIER"}},
        {"FlywheelArn": FLYWHEEL},
    )
    describes(stub, model=None, FlywheelArn=FLYWHEEL)
    tags(stub, OWNED)
    no_strays(stub)
    # WHEN an Update of that endpoint runs
    outcome = update(client, ModelArn=None, FlywheelArn=FLYWHEEL)
    # THEN it succeeds at once, and its attributes say what is known: the ModelArn attribute is empty
    assert (outcome.status, outcome.physical_id) == ("SUCCESS", ARN)
    assert outcome.data == {
        "EndpointArn": ARN,
        "ModelArn": "",
        "EndpointName": "news",
        "EndpointType": "document-classifier-endpoint",
        "OwnershipTagKeys": outcome.data["OwnershipTagKeys"],
    }


def test_an_endpoint_still_in_service_on_its_old_flywheel_is_waited_on_until_it_shows_the_new_one(comprehend):
    # GIVEN UpdateEndpoint accepts a new flywheel, and the service still shows the old one for a while
    client, stub = comprehend
    other = FLYWHEEL.replace("loop", "other-loop")
    stub.add_response(
        "describe_flywheel",
        {"FlywheelProperties": {"FlywheelArn": other, "ModelType": "DOCUMENT_CLASSIFIER"}},
        {"FlywheelArn": other},
    )
    describes(stub, FlywheelArn=FLYWHEEL)
    tags(stub, OWNED)
    stub.add_response("update_endpoint", {}, {"EndpointArn": ARN, "FlywheelArn": other})
    describes(stub, FlywheelArn=FLYWHEEL)
    describes(stub, FlywheelArn=other)
    no_strays(stub)
    # WHEN the Update runs
    outcome = update(client, ModelArn=None, FlywheelArn=other)
    # THEN it answers SUCCESS only once the endpoint shows the new flywheel
    assert outcome.status == "SUCCESS"
