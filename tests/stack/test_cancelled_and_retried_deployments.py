"""Stack tier: CloudFormation's real timing, played version to version.

A sibling fails while an endpoint is still being replaced, CloudFormation cancels the replacement without
waiting for it and rolls back late; a deployment with rollback disabled fails and is retried, CloudFormation
sending the same RequestId again. The handler runs from each version's synthesized asset under the policy that
version synthesizes, reads its stack through the loopback CloudFormation, and every play ends with exactly the
stack's endpoints billing.
"""

from __future__ import annotations

from comprehend_loopback.stack import StackPlayer
from tests.stack.conftest import (
    ACCOUNT,
    Endpoint,
    Version,
    assert_only_the_stacks_endpoints_bill,
    endpoint_arn,
)

ONE = Version((Endpoint("Alpha", "alpha"),))
RENAMED_AND_BROKEN = Version((Endpoint("Alpha", "alpha-2"),), breaks=True)
FLAKY = f"arn:aws:comprehend:us-east-1:{ACCOUNT}:document-classifier/flaky"
TWO_WITH_FLAKY = Version((Endpoint("Alpha", "alpha"), Endpoint("Beta", "beta", model=FLAKY)))


def test_a_rename_cancelled_by_a_failing_sibling_and_rolled_back_late_leaves_the_old_endpoint(world, synth):
    # GIVEN "alpha" in service
    stack = StackPlayer(world, "Shop")
    assert stack.deploy(synth(ONE)) == "CREATE_COMPLETE"
    original = dict(stack.endpoints())
    # WHEN an update renames it to "alpha-2", a sibling fails a minute into the new endpoint's creation, and the
    # rollback reaches this resource only 20 minutes later (after alpha-2 is in service)
    status = stack.deploy(synth(RENAMED_AND_BROKEN), fail={"Breaks"}, cancel_after_s=60, rollback_delay_s=20 * 60)
    # THEN the stack rolled back to "alpha", and "alpha-2" (which CloudFormation never learned of) is gone
    assert status == "UPDATE_ROLLBACK_COMPLETE"
    world.settle()
    assert stack.endpoints() == original
    assert endpoint_arn("alpha-2") in world.comprehend.deleted
    assert_only_the_stacks_endpoints_bill(world, stack)
    # AND the stack is destroyed with nothing left
    assert stack.destroy() == "DELETE_COMPLETE"
    world.settle()
    assert world.comprehend.endpoints == {}


def test_a_deployment_retried_after_a_failure_without_rollback_is_answered_and_ends_well(world, synth):
    # GIVEN "alpha" in service, and an update adding "beta" whose model's endpoint fails (the service's fault),
    # deployed with rollback disabled
    world.comprehend.add_model(FLAKY, fails_with="Internal failure while creating the endpoint")
    stack = StackPlayer(world, "Shop")
    stack.deploy(synth(ONE))
    assert stack.deploy(synth(TWO_WITH_FLAKY), disable_rollback=True) == "UPDATE_FAILED"
    # WHEN the service recovers and the deployment is retried: CloudFormation sends Beta's Create again with the
    # same RequestId (a new delivery)
    world.comprehend.failing_models.clear()
    status = stack.deploy(synth(TWO_WITH_FLAKY), disable_rollback=True)
    # THEN that delivery is answered (not suppressed), Beta's endpoint recovers, and only the stack's endpoints bill
    assert status == "UPDATE_COMPLETE"
    world.settle()
    assert set(stack.endpoints().values()) == {endpoint_arn("alpha"), endpoint_arn("beta")}
    assert_only_the_stacks_endpoints_bill(world, stack)


def test_an_endpoint_added_by_an_update_cancelled_mid_creation_is_removed_by_the_rollback(world, synth):
    # GIVEN "alpha" in service
    stack = StackPlayer(world, "Shop")
    stack.deploy(synth(ONE))
    # WHEN an update adds "beta", and a sibling fails a minute into beta's creation: CloudFormation cancels the
    # Create and, in the rollback, deletes the resource under a physical id it made up
    two = Version((Endpoint("Alpha", "alpha"), Endpoint("Beta", "beta")), breaks=True)
    status = stack.deploy(synth(two), fail={"Breaks"}, cancel_after_s=60)
    world.settle()
    # THEN the stack is as before and beta, which CloudFormation never learned of, is gone
    assert status == "UPDATE_ROLLBACK_COMPLETE"
    deletes = [e for e in stack.events if e.logical_id.startswith("Beta") and e.status == "DELETE_COMPLETE"]
    assert deletes and deletes[0].physical_id.startswith("Shop-Beta")
    assert endpoint_arn("beta") in world.comprehend.deleted
    assert_only_the_stacks_endpoints_bill(world, stack)
