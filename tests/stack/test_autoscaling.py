"""Stack tier: deploys never undo the scaler (issue #8). The scaler is the loopback world's model of
Application Auto Scaling: it moves an endpoint's units within its registered scalable target."""

from __future__ import annotations

from tests.stack.conftest import Endpoint, Version, assert_only_the_stacks_endpoints_bill


def scaled(units=1, autoscale=(1, 4), tags=()):
    return Version((Endpoint("Alpha", "alpha", units=units, autoscale=autoscale, tags=tags),))


def units_of(world, stack):
    (arn,) = stack.endpoints().values()
    endpoint = world.comprehend.endpoints[arn]
    return endpoint.units, endpoint.desired_units


def test_an_unrelated_update_leaves_the_units_the_scaler_set(world, stack, synth):
    # GIVEN an autoscaled endpoint (1..4 units) that the scaler moved to 3
    stack.deploy(synth(scaled()))
    (arn,) = stack.endpoints().values()
    world.autoscale(arn, 3)
    world.settle()
    # WHEN a deploy changes only the tags
    assert stack.deploy(synth(scaled(tags=(("team", "nlp"),)))) == "UPDATE_COMPLETE"
    # THEN the tags changed and the units are still the scaler's
    assert world.comprehend.endpoints[arn].tags["team"] == "nlp"
    assert units_of(world, stack) == (3, 3)
    assert world.aws.calls["UpdateEndpoint"] == 0
    assert_only_the_stacks_endpoints_bill(world, stack)


def test_changing_the_desired_units_applies_them_within_the_range(world, stack, synth):
    stack.deploy(synth(scaled()))
    (arn,) = stack.endpoints().values()
    world.autoscale(arn, 3)
    world.settle()
    # WHEN the template asks for 2 units
    assert stack.deploy(synth(scaled(units=2))) == "UPDATE_COMPLETE"
    # THEN the endpoint has 2, whatever the scaler had set
    assert units_of(world, stack) == (2, 2)


def test_narrowing_the_range_clamps_the_scalers_units_into_it(world, stack, synth):
    stack.deploy(synth(scaled()))
    (arn,) = stack.endpoints().values()
    world.autoscale(arn, 4)
    world.settle()
    assert stack.deploy(synth(scaled(autoscale=(1, 2)))) == "UPDATE_COMPLETE"
    assert units_of(world, stack) == (2, 2)


def test_removing_autoscaling_returns_the_endpoint_to_the_templates_units(world, stack, synth):
    stack.deploy(synth(scaled()))
    (arn,) = stack.endpoints().values()
    world.autoscale(arn, 3)
    world.settle()
    assert stack.deploy(synth(scaled(autoscale=None))) == "UPDATE_COMPLETE"
    assert units_of(world, stack) == (1, 1)
    assert arn not in world.scaling_targets


def test_without_autoscaling_the_templates_units_win(world, stack, synth):
    # GIVEN an endpoint nobody autoscales, whose units were changed outside the stack
    stack.deploy(synth(scaled(autoscale=None)))
    (arn,) = stack.endpoints().values()
    world.comprehend.UpdateEndpoint({"EndpointArn": arn, "DesiredInferenceUnits": 3})
    world.settle()
    # WHEN an unrelated update runs, THEN the units are the template's again
    stack.deploy(synth(scaled(autoscale=None, tags=(("team", "nlp"),))))
    assert units_of(world, stack) == (1, 1)


def scalable_target(stack):
    (target,) = [r for r in stack.resources.values() if r.type == "AWS::ApplicationAutoScaling::ScalableTarget"]
    return target


def test_renaming_an_autoscaled_endpoint_replaces_its_scalable_target_and_removes_the_old_one_in_the_cleanup(
    world, stack, synth
):
    # GIVEN an autoscaled endpoint "alpha"
    stack.deploy(synth(scaled()))
    (old_arn,) = stack.endpoints().values()
    old_target = scalable_target(stack).physical_id
    # WHEN it is renamed (its ARN, the target's create-only ResourceId, changes)
    assert stack.deploy(synth(Version((Endpoint("Alpha", "alpha-2", autoscale=(1, 4)),)))) == "UPDATE_COMPLETE"
    # THEN CloudFormation made a new scalable target for the new endpoint and deleted the old one in the cleanup
    (new_arn,) = stack.endpoints().values()
    assert scalable_target(stack).physical_id != old_target
    assert set(world.scaling_targets) == {new_arn}
    deleted = [e for e in stack.events if e.physical_id == old_target and e.status == "DELETE_COMPLETE"]
    cleanup = [e.at for e in stack.events if e.status == "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"]
    assert len(deleted) == 1 and deleted[0].at >= cleanup[-1]
    assert old_arn not in world.comprehend.endpoints
    assert_only_the_stacks_endpoints_bill(world, stack)


def test_a_rename_rolled_back_keeps_the_old_scalable_target_and_removes_the_new_one(world, stack, synth):
    # GIVEN an autoscaled endpoint "alpha"
    stack.deploy(synth(scaled()))
    (old_arn,) = stack.endpoints().values()
    old_target = scalable_target(stack).physical_id
    # WHEN a rename fails elsewhere and is rolled back
    renamed = Version((Endpoint("Alpha", "alpha-2", autoscale=(1, 4)),), breaks=True)
    assert stack.deploy(synth(renamed), fail={"Breaks"}) == "UPDATE_ROLLBACK_COMPLETE"
    # THEN the old endpoint and its scalable target are the stack's again, and nothing of the rename is left
    assert list(stack.endpoints().values()) == [old_arn]
    assert scalable_target(stack).physical_id == old_target
    assert set(world.scaling_targets) == {old_arn}
    assert_only_the_stacks_endpoints_bill(world, stack)
