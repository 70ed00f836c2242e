"""Lifecycle tier, Update: in place (answered once the new values are live, retried while the endpoint is in
use), replacement, tags, no-op, rollback and rename back, and old properties it cannot read."""

from __future__ import annotations

from comprehend_loopback.comprehend import Timing
from tests.lifecycle.conftest import (
    ARN,
    ARN_V2,
    CLASSIFIER,
    CLASSIFIER_V2,
    FLYWHEEL,
    RECOGNIZER,
    ROLE,
    ROLE_2,
    assert_well_behaved,
    created,
    endpoint_arn,
    endpoint_count,
    props,
    user_tags,
)


def test_units_update_happens_in_place_and_answers_once_applied(world, cfn):
    # GIVEN an endpoint with 1 unit
    arn = created(cfn)
    # WHEN the template asks for 3
    answer = cfn.update("Endpoint", arn, props(DesiredInferenceUnits=3), props())
    # THEN the same endpoint was updated, and the answer came after the update finished
    assert answer.body["Status"] == "SUCCESS"
    assert answer.body["PhysicalResourceId"] == arn
    endpoint = world.comprehend.endpoints[arn]
    assert endpoint.units == 3
    assert answer.at >= endpoint.reached_at["IN_SERVICE"]
    assert answer.at - endpoint.reached_at["IN_SERVICE"] <= 15
    assert world.aws.calls["UpdateEndpoint"] == 1 and world.comprehend.creates == [arn]
    assert_well_behaved(world, cfn)


def test_model_update_happens_in_place(world, cfn):
    arn = created(cfn)
    answer = cfn.update("Endpoint", arn, props(ModelArn=CLASSIFIER_V2), props())
    assert answer.body["Status"] == "SUCCESS" and answer.body["PhysicalResourceId"] == arn
    assert answer.body["Data"]["ModelArn"] == CLASSIFIER_V2
    assert world.comprehend.endpoints[arn].model_arn == CLASSIFIER_V2
    assert_well_behaved(world, cfn)


def test_data_access_role_update_happens_in_place(world, cfn):
    arn = created(cfn, DataAccessRoleArn=ROLE)
    answer = cfn.update("Endpoint", arn, props(DataAccessRoleArn=ROLE_2), props(DataAccessRoleArn=ROLE))
    assert answer.body["Status"] == "SUCCESS" and answer.body["PhysicalResourceId"] == arn
    assert world.comprehend.endpoints[arn].role == ROLE_2
    assert_well_behaved(world, cfn)


def test_flywheel_update_happens_in_place(world, cfn):
    # GIVEN two flywheels over classifiers and an endpoint on the first
    other = "arn:aws:comprehend:us-east-1:111122223333:flywheel/other-loop"
    world.comprehend.add_flywheel(FLYWHEEL, "DOCUMENT_CLASSIFIER", CLASSIFIER)
    world.comprehend.add_flywheel(other, "DOCUMENT_CLASSIFIER", CLASSIFIER_V2)
    arn = created(cfn, ModelArn=None, FlywheelArn=FLYWHEEL)
    # WHEN the template points the endpoint at the other flywheel
    answer = cfn.update(
        "Endpoint", arn, props(ModelArn=None, FlywheelArn=other), props(ModelArn=None, FlywheelArn=FLYWHEEL)
    )
    # THEN the same endpoint now follows it
    assert answer.body["Status"] == "SUCCESS" and answer.body["PhysicalResourceId"] == arn
    assert world.comprehend.endpoints[arn].flywheel == other
    assert world.aws.calls["UpdateEndpoint"] == 1
    assert_well_behaved(world, cfn)


def test_tag_only_update_tags_and_untags_the_difference_without_waiting(world, cfn):
    # GIVEN an endpoint tagged team=nlp, env=dev
    arn = created(cfn, Tags=[{"Key": "team", "Value": "nlp"}, {"Key": "env", "Value": "dev"}])
    # WHEN the template changes env, drops team and adds owner
    new_tags = [{"Key": "env", "Value": "prod"}, {"Key": "owner", "Value": "ana"}]
    answer = cfn.update(
        "Endpoint",
        arn,
        props(Tags=new_tags),
        props(Tags=[{"Key": "team", "Value": "nlp"}, {"Key": "env", "Value": "dev"}]),
    )
    # THEN the endpoint carries exactly the new tags, without an UpdateEndpoint or a wait
    assert answer.body["Status"] == "SUCCESS" and answer.body["PhysicalResourceId"] == arn
    assert user_tags(world.comprehend.endpoints[arn]) == {"env": "prod", "owner": "ana"}
    assert world.aws.calls["UpdateEndpoint"] == 0
    assert answer.at - cfn.sent[answer.request_id] < 1
    assert_well_behaved(world, cfn)


def test_a_drifted_template_tag_is_repaired_and_another_tools_tag_is_left(world, cfn):
    # GIVEN the template's team tag changed outside the stack, and another tool added its own tag
    arn = created(cfn, Tags=[{"Key": "team", "Value": "nlp"}])
    world.comprehend.endpoints[arn].tags.update({"team": "hijacked", "stray": "1"})
    answer = cfn.update(
        "Endpoint",
        arn,
        props(Tags=[{"Key": "team", "Value": "nlp"}], DesiredInferenceUnits=2),
        props(Tags=[{"Key": "team", "Value": "nlp"}]),
    )
    # THEN the next update sets team back, and leaves the other tool's tag (as CloudFormation's handlers do)
    assert answer.body["Status"] == "SUCCESS"
    assert user_tags(world.comprehend.endpoints[arn]) == {"team": "nlp", "stray": "1"}


def test_no_op_update_answers_at_once(world, cfn):
    # GIVEN an endpoint, and an Update whose properties are unchanged
    arn = created(cfn)
    answer = cfn.update("Endpoint", arn, props(), props())
    # THEN SUCCESS at once, nothing modified
    assert answer.body["Status"] == "SUCCESS" and answer.body["PhysicalResourceId"] == arn
    assert answer.at - cfn.sent[answer.request_id] < 1
    assert world.aws.calls["UpdateEndpoint"] == 0 and world.aws.calls["TagResource"] == 0
    assert_well_behaved(world, cfn)


def test_change_made_outside_the_stack_converges_on_a_no_op_update(world, cfn):
    # GIVEN someone scaled the endpoint to 4 units in the console
    arn = created(cfn)
    endpoint = world.comprehend.endpoints[arn]
    endpoint.units = endpoint.desired_units = 4
    # WHEN the stack is updated with unchanged properties
    answer = cfn.update("Endpoint", arn, props(), props())
    # THEN the endpoint is brought back to the template's 1 unit
    assert answer.body["Status"] == "SUCCESS"
    assert world.comprehend.endpoints[arn].units == 1
    assert_well_behaved(world, cfn)


def test_rename_replaces_the_endpoint_and_the_following_delete_removes_the_old_one(world, cfn):
    # GIVEN an endpoint named news
    old_arn = created(cfn)
    # WHEN the template renames it
    answer = cfn.update("Endpoint", old_arn, props(EndpointName="news-v2"), props())
    # THEN a new endpoint answers with a new physical id, created with a fresh token
    new_arn = ARN_V2
    assert answer.body["Status"] == "SUCCESS"
    assert answer.body["PhysicalResourceId"] == new_arn
    assert world.comprehend.endpoints[new_arn].status == "IN_SERVICE"
    assert len(set(world.comprehend.tokens)) == 2
    # WHEN CloudFormation deletes the old physical id in its clean-up phase
    delete = cfn.delete("Endpoint", old_arn, props())
    # THEN only the new endpoint remains
    assert delete.body["Status"] == "SUCCESS"
    assert set(world.comprehend.endpoints) == {new_arn}
    assert_well_behaved(world, cfn)


def test_model_type_change_replaces_the_endpoint(world, cfn):
    old_arn = created(cfn)
    answer = cfn.update("Endpoint", old_arn, props(ModelArn=RECOGNIZER), props())
    assert answer.body["Status"] == "SUCCESS"
    assert answer.body["PhysicalResourceId"] == (endpoint_arn("news", "entity-recognizer"))
    assert endpoint_count(world) == 2
    assert_well_behaved(world, cfn)


def test_failed_replacement_removes_its_new_endpoint_and_keeps_the_old(world, cfn):
    # GIVEN an endpoint, and a new name whose endpoint will go FAILED
    broken = "arn:aws:comprehend:us-east-1:111122223333:document-classifier/broken"
    world.comprehend.add_model(broken, fails_with="Unsupported model version")
    old_arn = created(cfn)
    # WHEN renamed onto the broken model
    answer = cfn.update("Endpoint", old_arn, props(EndpointName="news-v2", ModelArn=broken), props())
    # THEN FAILED with the old physical id, and the new endpoint does not outlive the request
    assert answer.body["Status"] == "FAILED"
    assert "Unsupported model version" in answer.body["Reason"]
    assert answer.body["PhysicalResourceId"] == old_arn
    world.comprehend.advance()
    world.clock.advance_to(world.clock.now() + 600)
    world.comprehend.advance()
    assert set(world.comprehend.endpoints) == {old_arn}
    assert_well_behaved(world, cfn)


def test_failed_update_then_rollback_update_restores_the_endpoint(world, cfn):
    # GIVEN an endpoint, and a model version whose update goes FAILED
    broken = "arn:aws:comprehend:us-east-1:111122223333:document-classifier/news/version/broken"
    world.comprehend.add_model(broken, fails_with="Model version cannot be served")
    arn = created(cfn)
    # WHEN updated to it
    failed = cfn.update("Endpoint", arn, props(ModelArn=broken), props())
    assert failed.body["Status"] == "FAILED"
    assert "Model version cannot be served" in failed.body["Reason"]
    assert failed.body["PhysicalResourceId"] == arn
    # AND CloudFormation rolls back with an Update to the old properties
    rollback = cfn.update("Endpoint", arn, props(), props(ModelArn=broken))
    # THEN the endpoint serves the old model again
    assert rollback.body["Status"] == "SUCCESS"
    assert world.comprehend.endpoints[arn].model_arn == CLASSIFIER
    assert world.comprehend.endpoints[arn].status == "IN_SERVICE"
    assert_well_behaved(world, cfn)


def test_rollback_update_arriving_while_updating_waits_and_converges(make_world):
    # GIVEN an update that CloudFormation gave up on while the endpoint is still UPDATING
    with make_world() as world:
        world.comprehend.add_model(CLASSIFIER)
        cfn = world.cloudformation()
        arn = created(cfn)
        world.comprehend.UpdateEndpoint({"EndpointArn": arn, "DesiredInferenceUnits": 5})
        assert world.comprehend.endpoints[arn].status == "UPDATING"
        # WHEN the rollback Update to the old properties (1 unit) arrives
        rollback = cfn.update("Endpoint", arn, props(), props(DesiredInferenceUnits=5))
        # THEN the handler waits out UPDATING, then brings the endpoint back to 1 unit
        assert rollback.body["Status"] == "SUCCESS"
        endpoint = world.comprehend.endpoints[arn]
        assert endpoint.units == 1 and endpoint.status == "IN_SERVICE"
        assert world.aws.calls["UpdateEndpoint"] == 1
        assert_well_behaved(world, cfn)


def test_update_with_bad_input_fails_at_once_and_keeps_the_physical_id(world, cfn):
    arn = created(cfn)
    answer = cfn.update("Endpoint", arn, props(DesiredInferenceUnits="0"), props())
    assert answer.body["Status"] == "FAILED"
    assert "DesiredInferenceUnits" in answer.body["Reason"]
    assert answer.body["PhysicalResourceId"] == arn
    assert answer.at - cfn.sent[answer.request_id] < 1


def test_removing_the_data_access_role_in_place_fails_with_a_clear_reason(world, cfn):
    arn = created(cfn, DataAccessRoleArn=ROLE)
    answer = cfn.update("Endpoint", arn, props(), props(DataAccessRoleArn=ROLE))
    assert answer.body["Status"] == "FAILED"
    assert "DataAccessRoleArn" in answer.body["Reason"] and "EndpointName" in answer.body["Reason"]
    assert world.comprehend.endpoints[arn].role == ROLE


def test_update_answers_only_once_the_new_units_are_live_even_when_updating_shows_late(make_world):
    # GIVEN a service that keeps showing IN_SERVICE (old values) for a minute after UpdateEndpoint
    with make_world(Timing(status_lag_s=60)) as world:
        cfn = world.cloudformation()
        arn = created(cfn)
        # WHEN the units change
        answer = cfn.update("Endpoint", arn, props(DesiredInferenceUnits=3), props())
        # THEN the answer came after the new units were live, not at the first IN_SERVICE it saw
        endpoint = world.comprehend.endpoints[arn]
        assert answer.body["Status"] == "SUCCESS" and endpoint.units == 3
        assert answer.at >= endpoint.reached_at["IN_SERVICE"] > cfn.sent[answer.request_id] + 60


def test_update_refused_as_in_use_is_tried_again_until_it_goes_through(world, cfn):
    arn = created(cfn)
    world.aws.faults.in_use = {"UpdateEndpoint": 2}
    answer = cfn.update("Endpoint", arn, props(DesiredInferenceUnits=2), props())
    assert answer.body["Status"] == "SUCCESS" and world.comprehend.endpoints[arn].units == 2
    assert world.aws.calls["UpdateEndpoint"] == 3
    assert_well_behaved(world, cfn)


def test_tag_convergence_leaves_aws_tags_alone(world, cfn):
    # GIVEN an endpoint that also carries a tag AWS set (aws: keys cannot be removed by anyone)
    arn = created(cfn, Tags=[{"Key": "team", "Value": "nlp"}])
    world.comprehend.endpoints[arn].tags["aws:cloudformation:stack-name"] = "Shop"
    # WHEN the template's tags change
    old = props(Tags=[{"Key": "team", "Value": "nlp"}])
    answer = cfn.update("Endpoint", arn, props(Tags=[{"Key": "env", "Value": "prod"}]), old)
    # THEN the template's tags converged and the aws: tag is still there
    assert answer.body["Status"] == "SUCCESS"
    assert user_tags(world.comprehend.endpoints[arn]) == {"env": "prod", "aws:cloudformation:stack-name": "Shop"}


def test_a_rollback_onto_an_old_endpoint_that_fails_to_converge_fails_keeping_both_ids_known(world, cfn):
    # GIVEN "news" renamed to "news-v2", and the old endpoint's model now failing every update
    old = created(cfn)
    new = cfn.update("Endpoint", old, props(EndpointName="news-v2"), props()).body["PhysicalResourceId"]
    world.comprehend.failing_models[CLASSIFIER] = "model retired"
    # WHEN the rollback Update takes "news" back with 2 units (so it must update it)
    answer = cfn.update("Endpoint", new, props(DesiredInferenceUnits=2), props(EndpointName="news-v2"))
    # THEN FAILED with the current physical id, and neither endpoint was deleted
    assert answer.body["Status"] == "FAILED" and answer.body["PhysicalResourceId"] == new
    assert "model retired" in answer.body["Reason"]
    assert {ARN, ARN_V2} <= set(world.comprehend.endpoints)


def test_autoscaled_units_follow_the_template_when_the_previous_properties_are_unreadable(world, cfn):
    scaling = {"InferenceUnitsAutoScaling": {"MinCapacity": "1", "MaxCapacity": "4"}}
    arn = created(cfn, **scaling)
    # (a request-level test has no scalable target: the units are moved directly, as the scaler would)
    world.comprehend.UpdateEndpoint({"EndpointArn": arn, "DesiredInferenceUnits": 3})
    world.settle()
    # WHEN an Update comes with OldResourceProperties it cannot read (e.g. from another library version)
    event = cfn.event("Update", "Endpoint", props(DesiredInferenceUnits=2, **scaling), physical_id=arn)
    event["OldResourceProperties"] = {"Unexpected": "shape"}
    answer = cfn.send(event)
    # THEN it treats the units as changed: the template's, within the range
    assert answer.body["Status"] == "SUCCESS" and world.comprehend.endpoints[arn].units == 2


def test_a_rename_back_of_a_retained_resource_takes_its_kept_endpoint_back(world, cfn):
    # GIVEN news of a resource with RemovalPolicy Retain, renamed to news-v2 (CloudFormation keeps news: it is
    # marked retained)
    kept = props(RemovalPolicy="Retain")
    renamed = props(EndpointName="news-v2", RemovalPolicy="Retain")
    assert cfn.create("Endpoint", kept).body["PhysicalResourceId"] == ARN
    assert cfn.update("Endpoint", ARN, renamed, kept).body["PhysicalResourceId"] == ARN_V2
    # WHEN the resource is renamed back (or the rename is rolled back)
    back = cfn.update("Endpoint", ARN_V2, kept, renamed)
    # THEN the Update takes news back (only a Create refuses a kept endpoint) and answers SUCCESS with it
    assert (back.body["Status"], back.body["PhysicalResourceId"]) == ("SUCCESS", ARN), back.body.get("Reason")
    assert world.comprehend.creates == [ARN, ARN_V2]
    assert_well_behaved(world, cfn)
