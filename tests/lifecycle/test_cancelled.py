"""Lifecycle tier: requests CloudFormation cancels while the handler still works on them.

When a sibling resource fails during a stack update, CloudFormation marks the resources still in
progress "update cancelled" and starts rolling back without waiting for their answers; for a custom
resource, the rollback Update carries the old properties and the physical id CloudFormation last
heard of. The cancelled request runs on (its Lambda chain knows nothing of the cancellation) and its
answer, when it comes, is ignored. CloudFormation may also send the cancelled request again (same
RequestId, a new delivery) while the first delivery's chain still runs: the older chain must then not
remove what the newer delivery answers with. These tests play those orders of events on the loopback
world, with the handler held to the synthesized policy.
"""

from __future__ import annotations

from tests.lifecycle.conftest import ARN, ARN_V2, assert_well_behaved, endpoint_arn, props

KEPT = endpoint_arn("x")


def test_a_rollback_deletes_the_endpoint_a_cancelled_rename_goes_on_creating(world, cfn):
    # GIVEN an endpoint "news" in service
    assert cfn.create("Endpoint", props()).body["PhysicalResourceId"] == ARN
    # WHEN an update renames it to news-v2 (the handler starts creating news-v2), a sibling fails a
    # minute later, and CloudFormation rolls the resource back without waiting for the rename's answer:
    # an Update back to the old properties, with the physical id it last heard of (news)
    rename = cfn.event("Update", "Endpoint", props(EndpointName="news-v2"), physical_id=ARN, old_properties=props())
    rollback = cfn.event("Update", "Endpoint", props(), physical_id=ARN, old_properties=props(EndpointName="news-v2"))
    cfn.submit(rename)
    cfn.submit(rollback, delay_s=60)
    answers = cfn.run([rollback["RequestId"]])  # then the cancelled request's invocations run to their end
    world.settle()
    # THEN the rollback answers with news, and once everything has settled only news exists, unchanged:
    # the endpoint the cancelled rename created, which CloudFormation never learned of, was deleted
    answer = answers[rollback["RequestId"]].body
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("SUCCESS", ARN)
    assert world.comprehend.creates == [ARN, ARN_V2]
    assert set(world.comprehend.endpoints) == {ARN}
    assert (world.comprehend.endpoints[ARN].status, world.comprehend.endpoints[ARN].units) == ("IN_SERVICE", 1)
    # AND the rollback answered only after it had asked for news-v2's deletion, which the service
    # accepts once the endpoint is no longer being created
    assert answers[rollback["RequestId"]].at >= world.comprehend.gone[ARN_V2]["IN_SERVICE"]
    assert_well_behaved(world, cfn)


def test_an_endpoint_the_resource_kept_on_purpose_is_marked_and_never_swept(world, cfn):
    # GIVEN endpoint x of a resource with RemovalPolicy Retain, renamed to news: CloudFormation's cleanup
    # keeps x (UpdateReplacePolicy Retain), which still carries this resource's ownership tags, in service
    kept = {"RemovalPolicy": "Retain"}
    assert cfn.create("Endpoint", props(EndpointName="x", **kept)).body["PhysicalResourceId"] == KEPT
    renamed = cfn.update("Endpoint", KEPT, props(**kept), props(EndpointName="x", **kept))
    assert renamed.body["PhysicalResourceId"] == ARN
    # WHEN a later update of news runs (a tag change)
    answer = cfn.update("Endpoint", ARN, props(Tags=[{"Key": "team", "Value": "nlp"}], **kept), props(**kept))
    # THEN it succeeds and x, kept on purpose (it carries the retained mark), is left alone
    assert answer.body["Status"] == "SUCCESS"
    assert set(world.comprehend.endpoints) == {ARN, KEPT}
    assert world.comprehend.endpoints[KEPT].tags["cdk-comprehend-endpoint:retained"] == "true"
    assert world.aws.calls["DeleteEndpoint"] == 0
    assert_well_behaved(world, cfn)


def test_an_endpoint_in_service_that_no_request_answered_with_is_swept(world, cfn):
    # GIVEN endpoint x of a resource without RemovalPolicy Retain, renamed to news, and x left behind (a cleanup
    # Delete that never came, as after a cancelled request): x carries no retained mark
    assert cfn.create("Endpoint", props(EndpointName="x")).body["PhysicalResourceId"] == KEPT
    assert cfn.update("Endpoint", KEPT, props(), props(EndpointName="x")).body["PhysicalResourceId"] == ARN
    # WHEN a later update of news runs
    answer = cfn.update("Endpoint", ARN, props(Tags=[{"Key": "team", "Value": "nlp"}]), props())
    # THEN x, in service, is deleted as a stray before the answer
    assert answer.body["Status"] == "SUCCESS"
    world.settle()
    assert set(world.comprehend.endpoints) == {ARN}
    assert_well_behaved(world, cfn)


def test_an_older_delivery_still_running_never_deletes_the_endpoint_a_newer_delivery_answers_with(world, cfn):
    # GIVEN a deployed stack, and an update adding resource Endpoint whose Create has started "news" (the
    # loopback runs the chains that are due together, interleaved on the virtual clock)
    cfn.concurrent = True
    world.aws.stacks.register(cfn.stack_id, at=world.clock.now())
    world.aws.stacks.set_stack_status(cfn.stack_id, "UPDATE_COMPLETE", at=world.clock.now())
    create = cfn.event("Create", "Endpoint", props())
    cfn.submit(create)
    cfn.run_until(world.clock.now() + 60)
    assert world.comprehend.endpoints[ARN].status == "CREATING"
    # WHEN CloudFormation stops waiting for it (a sibling failed, rollback disabled) and the deployment is retried:
    # the same RequestId is sent again while the first delivery's chain still waits for news
    cfn.cancel(create["RequestId"])
    again = cfn.resend(create["RequestId"])
    answer = cfn.run([again["RequestId"]])[again["RequestId"]]
    world.settle()
    # THEN news was never deleted (the older chain, finding "a newer request" in progress and no physical id
    # yet, withdrew and deleted what it had created, the endpoint the newer delivery took back), and the new
    # delivery answers SUCCESS with it
    assert ARN not in world.comprehend.deleted, "the older delivery's chain deleted the endpoint it shares"
    assert (answer.body["Status"], answer.body["PhysicalResourceId"]) == ("SUCCESS", ARN)
    assert set(world.comprehend.endpoints) == {ARN}
    assert_well_behaved(world, cfn, paced=False)  # two deliveries of one RequestId, each paced


def test_a_queued_rename_cancelled_by_a_quick_rollback_that_is_queued_too_leaves_nothing_billing(world, cfn):
    # GIVEN news in service, and a rename to news-v2 whose event waits in Lambda's queue (the function is
    # throttled) for 100 s
    cfn.create("Endpoint", props())
    rename = cfn.event("Update", "Endpoint", props(EndpointName="news-v2"), physical_id=ARN, old_properties=props())
    rollback = cfn.event("Update", "Endpoint", props(), physical_id=ARN, old_properties=props(EndpointName="news-v2"))
    start = world.clock.now()
    cfn.submit(rename, queued_s=100)
    # WHEN a sibling fails 10 s later: CloudFormation cancels the rename and sends the rollback Update 20 s after
    # that (within NEWER_DELIVERY_S of the rename), and the throttled function runs the rollback's event only
    # 25 minutes later
    cfn.run_until(start + 10)
    cfn.cancel(rename["RequestId"])
    cfn.submit(rollback, delay_s=start + 30 - world.clock.now(), queued_s=1500, rollback=True)
    answers = cfn.run([rollback["RequestId"]])
    world.settle()
    # THEN the rollback answered SUCCESS with news, and news-v2 (created by the cancelled rename once it ran,
    # after the rollback had been sent) does not bill on
    assert answers[rollback["RequestId"]].body["Status"] == "SUCCESS"
    assert set(world.comprehend.endpoints) == {ARN}, "an endpoint CloudFormation never knew of bills on"
    assert_well_behaved(world, cfn)
