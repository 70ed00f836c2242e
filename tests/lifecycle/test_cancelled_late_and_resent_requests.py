"""Lifecycle tier: CloudFormation's real timing, one test per situation of a real account.

CloudFormation cancels requests without waiting for them, sends rollbacks late, sends the same RequestId again
as a new delivery; Lambda holds events in its queue and retries them. The loopback driver plays each of these
(``submit`` with ``queued_s``/``delay_s``/``rollback``, ``cancel``, ``resend``), the handler reads the stack the
driver keeps (``DescribeStacks``/``DescribeStackResource``, allowed by the synthesized policy), and every test
ends with exactly the endpoints CloudFormation knows billing, every request it waits for answered.
"""

from __future__ import annotations

import json

import pytest

from comprehend_loopback.cloudformation import CloudFormationTimeout, LambdaContext
from tests.lifecycle.conftest import CLASSIFIER, assert_well_behaved, owned_by, props

NEWS = "arn:aws:comprehend:us-east-1:111122223333:document-classifier-endpoint/news"
NEWS_V2 = "arn:aws:comprehend:us-east-1:111122223333:document-classifier-endpoint/news-v2"
OTHER = "arn:aws:comprehend:us-east-1:111122223333:document-classifier-endpoint/other"
CREATE_S = 17 * 60
"""How long the loopback takes to create an endpoint (its default Timing)."""
PROGRESS_KEY = "ComprehendEndpointProgress"


def rename_and_rollback(cfn):
    """A rename of news to news-v2 and the rollback Update CloudFormation sends when it cancels it."""
    rename = cfn.event("Update", "Endpoint", props(EndpointName="news-v2"), physical_id=NEWS, old_properties=props())
    rollback = cfn.event("Update", "Endpoint", props(), physical_id=NEWS, old_properties=props(EndpointName="news-v2"))
    return rename, rollback


def test_a_rename_cancelled_and_rolled_back_after_its_endpoint_is_in_service_leaves_only_the_old_one(world, cfn):
    # GIVEN news in service, and a rename to news-v2 whose first invocation creates news-v2
    assert cfn.create("Endpoint", props()).body["PhysicalResourceId"] == NEWS
    rename, rollback = rename_and_rollback(cfn)
    started = world.clock.now()
    cfn.submit(rename)
    cfn.run_until(started + 60)
    assert world.comprehend.endpoints[NEWS_V2].status == "CREATING"
    # WHEN a sibling fails: CloudFormation cancels the rename without waiting, and its rollback Update
    # reaches this resource only after news-v2 is in service (a slow sibling rolled back first)
    cfn.cancel(rename["RequestId"])
    cfn.submit(rollback, delay_s=started + CREATE_S + 180 - world.clock.now(), rollback=True)
    answers = cfn.run([rollback["RequestId"]])
    world.settle()
    # THEN the rollback answers SUCCESS with news, and news-v2 (which CloudFormation never learned of) is gone
    assert (
        answers[rollback["RequestId"]].body["Status"],
        answers[rollback["RequestId"]].body["PhysicalResourceId"],
    ) == (
        "SUCCESS",
        NEWS,
    )
    assert set(world.comprehend.endpoints) == {NEWS}
    assert NEWS_V2 in world.comprehend.deleted
    # AND the cancelled rename never answered SUCCESS on its own URL (CloudFormation no longer listened)
    assert all(a.body["Status"] != "SUCCESS" for a in world.receiver.answers.get(rename["RequestId"], []))
    assert_well_behaved(world, cfn)


def test_a_rename_still_in_lambdas_queue_when_it_is_cancelled_creates_nothing(world, cfn):
    # GIVEN news in service, and a rename whose event waits in Lambda's queue (throttling) for 10 minutes
    cfn.create("Endpoint", props())
    rename, rollback = rename_and_rollback(cfn)
    cfn.submit(rename, queued_s=600)
    # WHEN CloudFormation cancels it a minute later and rolls back at once
    cfn.run_until(world.clock.now() + 60)
    cfn.cancel(rename["RequestId"])
    cfn.submit(rollback, rollback=True)
    answer = cfn.run([rollback["RequestId"]])
    world.settle()
    # THEN the rollback answered, and when the queued rename finally ran it created nothing
    assert answer[rollback["RequestId"]].body["Status"] == "SUCCESS"
    assert world.comprehend.creates == [NEWS]
    assert set(world.comprehend.endpoints) == {NEWS}
    assert_well_behaved(world, cfn)


def test_a_create_still_queued_when_the_stack_creation_rolls_back_creates_nothing(world, cfn):
    # GIVEN a Create whose event waits in Lambda's queue for 10 minutes
    create = cfn.event("Create", "Endpoint", props())
    cfn.submit(create, queued_s=600)
    # WHEN a sibling fails a minute later: CloudFormation cancels the Create and rolls the stack creation back,
    # sending a Delete with a physical id it made up; that Delete finds nothing and succeeds
    cfn.run_until(world.clock.now() + 60)
    cfn.cancel(create["RequestId"])
    world.aws.stacks.set_stack_status(cfn.stack_id, "ROLLBACK_IN_PROGRESS", at=world.clock.now())
    deleted = cfn.delete("Endpoint", "ComprehendEndpointStack-Endpoint-1A2B3C4D5E6F", props())
    world.settle()
    # THEN the queued Create, when it ran, created nothing: nothing bills
    assert deleted.body["Status"] == "SUCCESS"
    assert world.comprehend.creates == []
    assert_well_behaved(world, cfn)


def test_a_request_sent_again_with_the_same_request_id_gets_a_fresh_attempt_and_an_answer(world, cfn):
    # GIVEN a Create whose endpoint goes FAILED (the service's fault), answered FAILED; the stack was deployed
    # with --no-rollback, so nothing deletes it
    world.comprehend.add_model(CLASSIFIER, fails_with="Internal failure while creating the endpoint")
    create = cfn.event("Create", "Endpoint", props())
    first = cfn.send(create)
    assert (first.body["Status"], first.body["PhysicalResourceId"]) == ("FAILED", NEWS)
    # WHEN the deployment is retried five minutes later (the service has recovered): CloudFormation sends the
    # same RequestId again, reaching the same warm container
    world.comprehend.failing_models.clear()
    again = cfn.resend(create["RequestId"], delay_s=300)
    answer = cfn.run([again["RequestId"]])[again["RequestId"]]
    # THEN this delivery is answered (not suppressed as "already answered"), with the endpoint recovered
    assert (answer.body["Status"], answer.body["PhysicalResourceId"]) == ("SUCCESS", NEWS)
    assert world.comprehend.endpoints[NEWS].status == "IN_SERVICE"
    assert set(world.comprehend.endpoints) == {NEWS}
    assert_well_behaved(world, cfn)


def test_an_endpoint_kept_by_retain_survives_a_failed_create_of_the_same_construct_id(world, cfn):
    # GIVEN endpoint news of a resource with RemovalPolicy Retain; the construct is removed from the app
    # (CloudFormation keeps the endpoint and sends nothing)
    kept = cfn.create("Endpoint", props(RemovalPolicy="Retain"))
    assert kept.body["Status"] == "SUCCESS"
    # WHEN the same construct id is added back (same generated name) and its Create fails, then is rolled back
    again = cfn.create("Endpoint", props())
    rollback = cfn.delete("Endpoint", again.body["PhysicalResourceId"], props())
    # THEN the Create failed naming the kept endpoint, and the rollback Delete left it alone
    assert again.body["Status"] == "FAILED" and "kept on purpose" in again.body["Reason"]
    assert rollback.body["Status"] == "SUCCESS"
    assert world.comprehend.endpoints[NEWS].status == "IN_SERVICE"
    assert world.aws.calls["DeleteEndpoint"] == 0
    assert_well_behaved(world, cfn)


def test_a_first_invocation_running_late_answers_before_cloudformations_timeout(world, cfn):
    # GIVEN a Create whose first invocation runs 40 of its 45 minutes after CloudFormation sent it
    create = cfn.event("Create", "Endpoint", props())
    cfn.submit(create, queued_s=2400)
    # WHEN it runs THEN it answers FAILED within the ServiceTimeout (the deadline counts from X-Amz-Date, not from
    # its first run), with the endpoint it started so that the rollback Delete removes it
    answer = cfn.run([create["RequestId"]])[create["RequestId"]]
    assert answer.body["Status"] == "FAILED" and "deadline" in answer.body["Reason"]
    assert answer.at < cfn.sent[create["RequestId"]] + cfn.service_timeout_s
    assert answer.body["PhysicalResourceId"] == NEWS
    assert_well_behaved(world, cfn)


def test_a_first_invocation_running_after_the_deadline_fails_at_once_creating_nothing(world, cfn):
    # GIVEN a Create whose first invocation runs after the handler's own deadline (but before the ServiceTimeout)
    create = cfn.event("Create", "Endpoint", props())
    cfn.submit(create, queued_s=cfn.service_timeout_s - 60)
    # THEN it answers FAILED at once, with the marker, and creates nothing
    answer = cfn.run([create["RequestId"]])[create["RequestId"]]
    assert answer.body["Status"] == "FAILED" and "deadline" in answer.body["Reason"]
    assert answer.at - cfn.sent[create["RequestId"]] < cfn.service_timeout_s - 50
    assert world.comprehend.creates == []
    assert_well_behaved(world, cfn)


def test_an_event_cloudformation_gave_up_on_creates_nothing_and_answers_nothing(world, cfn):
    # GIVEN a Create whose event reaches the function only after its ServiceTimeout
    create = cfn.event("Create", "Endpoint", props())
    cfn.submit(create, queued_s=cfn.service_timeout_s + 60)
    # WHEN everything queued has run THEN CloudFormation got no answer, and no endpoint was created
    with pytest.raises(CloudFormationTimeout):
        cfn.run([create["RequestId"]])
    cfn.drain()
    assert world.comprehend.creates == []
    assert world.receiver.answers.get(create["RequestId"], []) == []


def test_two_resources_given_one_client_request_token_never_share_an_endpoint(world, cfn):
    # GIVEN endpoint news created with token shared-token
    first = cfn.create("Endpoint", props(ClientRequestToken="shared-token"))
    assert first.body["Status"] == "SUCCESS"
    # WHEN another resource creates endpoint other with the same token
    second = cfn.create("Other", props(EndpointName="other", ClientRequestToken="shared-token"))
    # THEN it fails with the marker (never answering with news), and news is untouched
    assert second.body["Status"] == "FAILED"
    assert second.body["PhysicalResourceId"] == "ComprehendEndpoint-CREATE_FAILED-Other"
    assert set(world.comprehend.endpoints) == {NEWS}
    assert_well_behaved(world, cfn)


def test_an_event_without_a_response_url_reaching_a_warm_container_is_answered_nowhere(world, cfn):
    # GIVEN a container that has just answered a request
    containers = []

    def container():
        containers.append(world.handler())
        return containers[-1]

    driver = world.cloudformation(container)
    driver.create("Endpoint", props())
    puts = world.receiver.puts
    # WHEN a console test event (no ResponseURL) is run on it
    event = driver.event("Delete", "Endpoint", props(), physical_id="ComprehendEndpoint-CREATE_FAILED-Endpoint")
    event.pop("ResponseURL", None)
    containers[-1](event, LambdaContext(world.clock, 900, 256))
    # THEN nothing is sent anywhere (in particular not to the previous request's URL)
    assert world.receiver.puts == puts


def test_a_forged_progress_cannot_make_the_handler_delete_a_siblings_endpoint(world, cfn):
    # GIVEN news of this resource, and other, an endpoint of a sibling resource of the same stack
    cfn.create("Endpoint", props())
    world.comprehend.CreateEndpoint(
        {"EndpointName": "other", "ModelArn": CLASSIFIER, "DesiredInferenceUnits": 1, "Tags": owned_by(cfn, "Other")}
    )
    world.settle()
    # WHEN a continuation arrives whose progress says other is a stray of this resource to delete
    event = cfn.event("Update", "Endpoint", props(), physical_id=NEWS, old_properties=props())
    event[PROGRESS_KEY] = {"started": world.clock.now(), "phase": "sweep", "strays": [OTHER], "answer_id": NEWS}
    answer = cfn.send(json.loads(json.dumps(event)))
    # THEN the handler read other's tags before anything else and left it alone
    assert answer.body["Status"] == "SUCCESS"
    assert world.comprehend.endpoints[OTHER].status == "IN_SERVICE"
    assert world.aws.calls["DeleteEndpoint"] == 0


def test_tagging_refused_as_a_concurrent_modification_is_tried_again(world, cfn):
    # GIVEN news with a team tag, and TagResource answering ConcurrentModificationException once
    arn = cfn.create("Endpoint", props()).body["PhysicalResourceId"]
    world.aws.faults.errors["TagResource"] = ["ConcurrentModificationException"]
    # WHEN an update adds a tag THEN it is tried again and the update succeeds
    answer = cfn.update("Endpoint", arn, props(Tags=[{"Key": "team", "Value": "nlp"}]), props())
    assert answer.body["Status"] == "SUCCESS"
    assert world.comprehend.endpoints[arn].tags["team"] == "nlp"
    assert world.aws.calls["TagResource:ConcurrentModificationException"] == 1


def a_create_killed_after(world, cfn, real_s):
    """A Create event with its ResponseURL, and the context of an invocation Lambda kills ``real_s`` real seconds
    in (crhelper's last-second timer fires half a second before), for calling the handler directly."""
    event = cfn.event("Create", "Endpoint", props())
    event["ResponseURL"] = world.receiver.url_for(event["RequestId"], cfn.stack_id, "Endpoint")
    context = LambdaContext(world.clock, 900, 256)
    context.killed_after_real_s = real_s
    return event, context


def test_an_invocation_abandoned_by_the_last_second_timer_ends_in_an_error_so_lambda_retries_it(world, cfn):
    # GIVEN CreateEndpoint hangs past the moment crhelper's last-second timer fires (0.3 s real into an
    # invocation that Lambda reports as ending 0.8 s in)
    world.aws.faults.hang_real_s["CreateEndpoint"] = [1.0]
    event, context = a_create_killed_after(world, cfn, 0.8)
    # WHEN the invocation's main thread then returns THEN it raises, naming the request, so that Lambda runs the
    # event again
    with pytest.raises(Exception, match=f"^request {event['RequestId']} abandoned "):
        world.handler()(event, context)
    # AND it sent no answer
    assert world.receiver.answers.get(event["RequestId"], []) == []


def test_a_request_sent_again_after_its_first_attempt_was_cancelled_ends_with_one_endpoint(world, cfn):
    # GIVEN a Create whose endpoint is being created when CloudFormation stops waiting for it (a sibling failed,
    # rollback disabled)
    create = cfn.event("Create", "Endpoint", props())
    cfn.submit(create)
    cfn.run_until(world.clock.now() + 60)
    cfn.cancel(create["RequestId"])
    # WHEN the deployment is retried three minutes later: the same RequestId, a new delivery
    again = cfn.resend(create["RequestId"], delay_s=180)
    answer = cfn.run([again["RequestId"]])[again["RequestId"]]
    world.settle()
    # THEN the new delivery answered SUCCESS with news, the only endpoint, in service (the withdrawn first
    # attempt deleted its own endpoint before the new delivery came, which then created it anew)
    assert (answer.body["Status"], answer.body["PhysicalResourceId"]) == ("SUCCESS", NEWS)
    assert set(world.comprehend.endpoints) == {NEWS}
    assert world.comprehend.endpoints[NEWS].status == "IN_SERVICE"
    # (two deliveries of one RequestId ran side by side, each paced on its own)
    assert_well_behaved(world, cfn, paced=False)


@pytest.mark.parametrize("request_type", ["Create", "Update"])
def test_a_malformed_carried_progress_is_answered_failed_naming_it_and_touching_nothing(world, cfn, request_type):
    # GIVEN a continuation whose carried progress names an unknown phase (a Create has no physical id yet)
    physical_id = NEWS if request_type == "Update" else None
    old = props() if request_type == "Update" else None
    event = cfn.event(request_type, "Endpoint", props(), physical_id=physical_id, old_properties=old)
    event[PROGRESS_KEY] = {"started": world.clock.now(), "phase": "no-such-phase"}
    # WHEN it arrives
    answer = cfn.send(json.loads(json.dumps(event)))
    # THEN it is answered FAILED, the reason naming the progress field, under the physical id CloudFormation sent
    # (a Create: the marker of a Create that made nothing), and no endpoint call is made
    assert answer.body["Status"] == "FAILED"
    assert answer.body["Reason"].startswith(f"{PROGRESS_KEY}: ")
    expected = NEWS if request_type == "Update" else "ComprehendEndpoint-CREATE_FAILED-Endpoint"
    assert answer.body["PhysicalResourceId"] == expected
    assert {call for call in world.aws.calls if not call.startswith(("lambda:", "cloudformation:"))} == set()


def test_an_invocation_abandoned_while_it_hands_over_ends_quietly_so_lambda_does_not_run_it_twice(world, cfn):
    # GIVEN a Create whose invocation must continue in a new one at once (3 s left), and whose Invoke of that
    # continuation is still in flight when crhelper's last-second timer fires
    world.aws.faults.hang_real_s["lambda:Invoke"] = [4.0]
    event, context = a_create_killed_after(world, cfn, 3.0)
    # WHEN the invocation's main thread returns after the Invoke
    world.handler()(event, context)
    # THEN it ends without an error (a retry by Lambda would start a second chain beside the continuation it
    # queued) and without an answer: the continuation answers
    assert world.aws.calls["lambda:Invoke"] == 1
    assert world.receiver.answers.get(event["RequestId"], []) == []
