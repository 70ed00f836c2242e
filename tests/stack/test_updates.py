"""Stack tier: every stack change ends with exactly the stack's endpoints billing (docs/design.md §4b).

Each test plays real ``cdk synth`` output of several app versions through the loopback
CloudFormation (update, cleanup, rollback, rollback cleanup, delete), with the handler from the
synthesized asset and IAM evaluated against the policy each version synthesizes.
"""

from __future__ import annotations

import pytest

from comprehend_loopback.stack import StackPlayer
from tests.stack.conftest import (
    CLASSIFIER,
    RECOGNIZER,
    Endpoint,
    Version,
    assert_only_the_stacks_endpoints_bill,
    endpoint_arn,
    failed_events,
)

TWO = Version((Endpoint("Alpha", "alpha"), Endpoint("Beta", "beta")))
ONE = Version((Endpoint("Alpha", "alpha"),))


def test_removing_one_of_two_endpoints_deletes_it_in_the_cleanup(world, stack, synth):
    # GIVEN a stack with two endpoints
    assert stack.deploy(synth(TWO)) == "CREATE_COMPLETE"
    # WHEN the app drops one of them (the new policy no longer names it when the cleanup runs)
    status = stack.deploy(synth(ONE))
    # THEN the cleanup deleted it: only the remaining endpoint bills
    assert status == "UPDATE_COMPLETE"
    assert failed_events(stack) == []
    assert endpoint_arn("beta") in world.comprehend.deleted
    assert_only_the_stacks_endpoints_bill(world, stack)


def test_renaming_an_endpoint_replaces_it_and_the_cleanup_deletes_the_old_one(world, stack, synth):
    stack.deploy(synth(ONE))
    status = stack.deploy(synth(Version((Endpoint("Alpha", "alpha-2"),))))
    assert status == "UPDATE_COMPLETE" and failed_events(stack) == []
    assert stack.endpoints() == {next(iter(stack.endpoints())): endpoint_arn("alpha-2")}
    assert endpoint_arn("alpha") in world.comprehend.deleted
    assert_only_the_stacks_endpoints_bill(world, stack)


def test_changing_the_model_type_replaces_the_endpoint(world, stack, synth):
    # GIVEN a classifier endpoint named "alpha"
    stack.deploy(synth(ONE))
    # WHEN the app serves a recognizer under the same name
    status = stack.deploy(synth(Version((Endpoint("Alpha", "alpha", model=RECOGNIZER),))))
    # THEN a recognizer endpoint replaced it and the classifier endpoint is gone
    assert status == "UPDATE_COMPLETE" and failed_events(stack) == []
    assert set(stack.endpoints().values()) == {endpoint_arn("alpha", "entity-recognizer")}
    assert_only_the_stacks_endpoints_bill(world, stack)


@pytest.mark.parametrize("rollback_order", ["dependency", "reverse"])
def test_adding_an_endpoint_then_a_failure_elsewhere_removes_the_new_endpoint(world, synth, rollback_order):
    stack = StackPlayer(world, "Shop", rollback_order=rollback_order)
    stack.deploy(synth(ONE))
    # WHEN an update adds an endpoint, then a resource after it fails
    status = stack.deploy(synth(Version(TWO.endpoints, breaks=True)), fail={"Breaks"})
    # THEN the rollback cleanup (under the old policy, which never named it) deleted the new endpoint
    assert status == "UPDATE_ROLLBACK_COMPLETE"
    assert endpoint_arn("beta") in world.comprehend.deleted
    assert [e for e in failed_events(stack) if e[0] != "Breaks"] == []
    assert_only_the_stacks_endpoints_bill(world, stack)


@pytest.mark.parametrize("rollback_order", ["dependency", "reverse"])
def test_renaming_then_a_failure_elsewhere_rolls_back_to_the_old_endpoint(world, synth, rollback_order):
    # GIVEN "alpha", renamed to "alpha-2" by an update in which a later resource fails
    stack = StackPlayer(world, "Shop", rollback_order=rollback_order)
    stack.deploy(synth(ONE))
    original = dict(stack.endpoints())
    status = stack.deploy(synth(Version((Endpoint("Alpha", "alpha-2"),), breaks=True)), fail={"Breaks"})
    # THEN the rollback Update took "alpha" back (no second CreateEndpoint for it), the replacement
    # was deleted in the rollback cleanup, and the stack is as before
    assert status == "UPDATE_ROLLBACK_COMPLETE"
    assert stack.endpoints() == original
    assert world.comprehend.creates == [endpoint_arn("alpha"), endpoint_arn("alpha-2")]
    assert endpoint_arn("alpha-2") in world.comprehend.deleted
    assert_only_the_stacks_endpoints_bill(world, stack)


def test_a_template_naming_someone_elses_endpoint_fails_and_never_touches_it(world, stack, synth):
    # GIVEN an endpoint "theirs" owned by another stack, and a stack with "alpha"
    foreign = world.comprehend.put_foreign_endpoint(
        "theirs", "arn:aws:comprehend:us-east-1:111122223333:document-classifier/news"
    )
    world.comprehend.endpoints[foreign].tags = {
        "cdk-comprehend-endpoint:stack-id": "arn:aws:cloudformation:us-east-1:111122223333:stack/Other/1",
        "cdk-comprehend-endpoint:logical-id": "Theirs",
    }
    before = repr(world.comprehend.endpoints[foreign])
    stack.deploy(synth(ONE))
    # WHEN an update adds an endpoint with that name
    status = stack.deploy(synth(Version((*ONE.endpoints, Endpoint("Theirs", "theirs")))))
    # THEN the update fails naming the conflict and rolls back; the other stack's endpoint is untouched
    assert status == "UPDATE_ROLLBACK_COMPLETE"
    reasons = [reason for lid, status, reason in failed_events(stack) if lid.startswith("Theirs")]
    assert len(reasons) == 1 and "EndpointName: 'theirs' is already used" in reasons[0]
    assert repr(world.comprehend.endpoints[foreign]) == before
    assert_only_the_stacks_endpoints_bill(world, stack, others=(foreign,))


def test_deleting_the_stack_after_a_sequence_of_updates_leaves_nothing(world, stack, synth):
    # GIVEN a stack taken through a rename, an addition, a removal and a type change
    versions = [
        ONE,
        Version((Endpoint("Alpha", "alpha-2"),)),
        Version((Endpoint("Alpha", "alpha-2"), Endpoint("Beta", "beta"), Endpoint("Gamma"))),
        Version((Endpoint("Beta", "beta", model=RECOGNIZER), Endpoint("Gamma"))),
    ]
    for version in versions:
        assert stack.deploy(synth(version)) in ("CREATE_COMPLETE", "UPDATE_COMPLETE")
        assert_only_the_stacks_endpoints_bill(world, stack)
    # WHEN the stack is deleted
    assert stack.destroy() == "DELETE_COMPLETE"
    # THEN no endpoint is left, and no step failed on the way
    assert world.comprehend.endpoints == {}
    assert failed_events(stack) == []


def test_an_update_that_fails_on_its_own_endpoint_is_rolled_back_tags_included(world, stack, synth):
    # GIVEN "alpha" tagged team=nlp, and an update that adds a tag and moves it to a model whose endpoint fails
    flaky = CLASSIFIER.replace("/news", "/flaky")
    world.comprehend.add_model(flaky, fails_with="Internal failure while updating the endpoint")
    stack.deploy(synth(Version((Endpoint("Alpha", "alpha", tags=(("team", "nlp"),)),))))
    broken = Version((Endpoint("Alpha", "alpha", model=flaky, tags=(("team", "nlp"), ("cost", "x"))),))
    # WHEN the update applies the tag, the endpoint goes FAILED on the new model and the handler answers FAILED
    status = stack.deploy(synth(broken))
    # THEN CloudFormation's rollback Update (OldResourceProperties = the properties it tried) takes the tag it
    # added off again and the old model back: the endpoint is as the old template describes it
    assert status == "UPDATE_ROLLBACK_COMPLETE"
    world.settle()
    endpoint = world.comprehend.endpoints[endpoint_arn("alpha")]
    assert (endpoint.status, endpoint.model_arn) == ("IN_SERVICE", CLASSIFIER)
    assert {k: v for k, v in endpoint.tags.items() if not k.startswith("cdk-comprehend-endpoint:")} == {"team": "nlp"}
    assert_only_the_stacks_endpoints_bill(world, stack)
