"""Lifecycle tier (review of the real-timing change): several deliveries of one request at once.

CloudFormation may send a request again with the same RequestId (a deployment retried after a failure with
rollback disabled) while the first delivery's Lambda chain still runs; the older chain must then not remove
what the newer delivery answers with.
"""

from __future__ import annotations

from tests.lifecycle.conftest import assert_well_behaved, props

NEWS = "arn:aws:comprehend:us-east-1:111122223333:document-classifier-endpoint/news"


def test_an_older_delivery_still_running_never_deletes_the_endpoint_a_newer_delivery_answers_with(world, cfn):
    # GIVEN a deployed stack, and an update adding resource Endpoint whose Create has started "news" (the
    # loopback runs the chains that are due together, interleaved on the virtual clock)
    cfn.concurrent = True
    world.aws.stacks.register(cfn.stack_id, at=world.clock.now())
    world.aws.stacks.set_stack_status(cfn.stack_id, "UPDATE_COMPLETE", at=world.clock.now())
    create = cfn.event("Create", "Endpoint", props())
    cfn.submit(create)
    cfn.run_until(world.clock.now() + 60)
    assert world.comprehend.endpoints[NEWS].status == "CREATING"
    # WHEN CloudFormation stops waiting for it (a sibling failed, rollback disabled) and the deployment is retried:
    # the same RequestId is sent again while the first delivery's chain still waits for news
    cfn.cancel(create["RequestId"])
    again = cfn.resend(create["RequestId"])
    answer = cfn.run([again["RequestId"]])[again["RequestId"]]
    world.settle()
    # THEN news was never deleted (the older chain, finding "a newer request" in progress and no physical id
    # yet, withdrew and deleted what it had created, the endpoint the newer delivery took back), and the new
    # delivery answers SUCCESS with it
    assert NEWS not in world.comprehend.deleted, "the older delivery's chain deleted the endpoint it shares"
    assert (answer.body["Status"], answer.body["PhysicalResourceId"]) == ("SUCCESS", NEWS)
    assert set(world.comprehend.endpoints) == {NEWS}
    assert_well_behaved(world, cfn, paced=False)  # two deliveries of one RequestId, each paced


NEWS_V2 = "arn:aws:comprehend:us-east-1:111122223333:document-classifier-endpoint/news-v2"


def test_a_queued_rename_cancelled_by_a_quick_rollback_that_is_queued_too_leaves_nothing_billing(world, cfn):
    # GIVEN news in service, and a rename to news-v2 whose event waits in Lambda's queue (the function is
    # throttled) for 100 s
    cfn.create("Endpoint", props())
    rename = cfn.event("Update", "Endpoint", props(EndpointName="news-v2"), physical_id=NEWS, old_properties=props())
    rollback = cfn.event("Update", "Endpoint", props(), physical_id=NEWS, old_properties=props(EndpointName="news-v2"))
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
    assert set(world.comprehend.endpoints) == {NEWS}, "an endpoint CloudFormation never knew of bills on"
    assert_well_behaved(world, cfn)


def test_a_rename_back_of_a_retained_resource_takes_its_kept_endpoint_back(world, cfn):
    # GIVEN news of a resource with RemovalPolicy Retain, renamed to news-v2 (CloudFormation keeps news: it is
    # marked retained)
    kept = props(RemovalPolicy="Retain")
    renamed = props(EndpointName="news-v2", RemovalPolicy="Retain")
    assert cfn.create("Endpoint", kept).body["PhysicalResourceId"] == NEWS
    assert cfn.update("Endpoint", NEWS, renamed, kept).body["PhysicalResourceId"] == NEWS_V2
    # WHEN the resource is renamed back (or the rename is rolled back)
    back = cfn.update("Endpoint", NEWS_V2, kept, renamed)
    # THEN the Update takes news back (only a Create refuses a kept endpoint) and answers SUCCESS with it
    assert (back.body["Status"], back.body["PhysicalResourceId"]) == ("SUCCESS", NEWS), back.body.get("Reason")
    assert world.comprehend.creates == [NEWS, NEWS_V2]
    assert_well_behaved(world, cfn)
