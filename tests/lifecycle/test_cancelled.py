"""Lifecycle tier: requests CloudFormation cancels while the handler still works on them.

When a sibling resource fails during a stack update, CloudFormation marks the resources still in
progress "update cancelled" and starts rolling back without waiting for their answers; for a custom
resource, the rollback Update carries the old properties and the physical id CloudFormation last
heard of. The cancelled request runs on (its Lambda chain knows nothing of the cancellation) and its
answer, when it comes, is ignored. These tests play that order of events on the loopback world, with
the handler held to the synthesized policy.
"""

from __future__ import annotations

from tests.lifecycle.conftest import assert_well_behaved, props

NEWS = "arn:aws:comprehend:us-east-1:111122223333:document-classifier-endpoint/news"
NEWS_V2 = "arn:aws:comprehend:us-east-1:111122223333:document-classifier-endpoint/news-v2"
KEPT = "arn:aws:comprehend:us-east-1:111122223333:document-classifier-endpoint/x"


def test_a_rollback_deletes_the_endpoint_a_cancelled_rename_goes_on_creating(world, cfn):
    # GIVEN an endpoint "news" in service
    assert cfn.create("Endpoint", props()).body["PhysicalResourceId"] == NEWS
    # WHEN an update renames it to news-v2 (the handler starts creating news-v2), a sibling fails a
    # minute later, and CloudFormation rolls the resource back without waiting for the rename's answer:
    # an Update back to the old properties, with the physical id it last heard of (news)
    rename = cfn.event("Update", "Endpoint", props(EndpointName="news-v2"), physical_id=NEWS, old_properties=props())
    rollback = cfn.event("Update", "Endpoint", props(), physical_id=NEWS, old_properties=props(EndpointName="news-v2"))
    cfn.submit(rename)
    cfn.submit(rollback, delay_s=60)
    answers = cfn.run([rollback["RequestId"]])  # then the cancelled request's invocations run to their end
    world.settle()
    # THEN the rollback answers with news, and once everything has settled only news exists, unchanged:
    # the endpoint the cancelled rename created, which CloudFormation never learned of, was deleted
    assert (
        answers[rollback["RequestId"]].body["Status"],
        answers[rollback["RequestId"]].body["PhysicalResourceId"],
    ) == (
        "SUCCESS",
        NEWS,
    )
    assert world.comprehend.creates == [NEWS, NEWS_V2]
    assert set(world.comprehend.endpoints) == {NEWS}
    assert (world.comprehend.endpoints[NEWS].status, world.comprehend.endpoints[NEWS].units) == ("IN_SERVICE", 1)
    # AND the rollback answered only after it had asked for news-v2's deletion, which the service
    # accepts once the endpoint is no longer being created
    assert answers[rollback["RequestId"]].at >= world.comprehend.gone[NEWS_V2]["IN_SERVICE"]
    assert_well_behaved(world, cfn)


def test_an_endpoint_the_resource_kept_on_purpose_is_marked_and_never_swept(world, cfn):
    # GIVEN endpoint x of a resource with RemovalPolicy Retain, renamed to news: CloudFormation's cleanup
    # keeps x (UpdateReplacePolicy Retain), which still carries this resource's ownership tags, in service
    kept = {"RemovalPolicy": "Retain"}
    assert cfn.create("Endpoint", props(EndpointName="x", **kept)).body["PhysicalResourceId"] == KEPT
    renamed = cfn.update("Endpoint", KEPT, props(**kept), props(EndpointName="x", **kept))
    assert renamed.body["PhysicalResourceId"] == NEWS
    # WHEN a later update of news runs (a tag change)
    answer = cfn.update("Endpoint", NEWS, props(Tags=[{"Key": "team", "Value": "nlp"}], **kept), props(**kept))
    # THEN it succeeds and x, kept on purpose (it carries the retained mark), is left alone
    assert answer.body["Status"] == "SUCCESS"
    assert set(world.comprehend.endpoints) == {NEWS, KEPT}
    assert world.comprehend.endpoints[KEPT].tags["cdk-comprehend-endpoint:retained"] == "true"
    assert world.aws.calls["DeleteEndpoint"] == 0
    assert_well_behaved(world, cfn)


def test_an_endpoint_in_service_that_no_request_answered_with_is_swept(world, cfn):
    # GIVEN endpoint x of a resource without RemovalPolicy Retain, renamed to news, and x left behind (a cleanup
    # Delete that never came, as after a cancelled request): x carries no retained mark
    assert cfn.create("Endpoint", props(EndpointName="x")).body["PhysicalResourceId"] == KEPT
    assert cfn.update("Endpoint", KEPT, props(), props(EndpointName="x")).body["PhysicalResourceId"] == NEWS
    # WHEN a later update of news runs
    answer = cfn.update("Endpoint", NEWS, props(Tags=[{"Key": "team", "Value": "nlp"}]), props())
    # THEN x, in service, is deleted as a stray before the answer
    assert answer.body["Status"] == "SUCCESS"
    world.settle()
    assert set(world.comprehend.endpoints) == {NEWS}
    assert_well_behaved(world, cfn)
