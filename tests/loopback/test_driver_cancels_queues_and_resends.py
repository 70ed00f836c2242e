"""Loopback tier: the request-level CloudFormation driver plays CloudFormation's real timing: a request's
ResponseURL is signed when it is sent, Lambda may run it later, CloudFormation may stop waiting (cancel)
or send the same RequestId again (resend), and it reads, for each delivery, the first answer written to
the request's S3 key after that delivery was sent. A trivial fake function (a chain of invocations that
PUTs a chosen answer) stands in for the handler."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from comprehend_loopback.clock import EPOCH
from comprehend_loopback.cloudformation import STACK_ID, CloudFormation, CloudFormationTimeout
from comprehend_loopback.receiver import amz_date
from comprehend_loopback.world import World
from tests.loopback.fakes import FakeFunction, Plan


@pytest.fixture
def world(tmp_path) -> Iterator[World]:
    with World.start(tmp_path) as w:
        yield w


@pytest.fixture
def function(world: World) -> FakeFunction:
    return FakeFunction(world)


@pytest.fixture
def cfn(world: World, function: FakeFunction) -> CloudFormation:
    return world.cloudformation(lambda: function)


def x_amz_date(url: str) -> str:
    return parse_qs(urlsplit(url).query)["X-Amz-Date"][0]


def resource(world, logical_id: str = "Endpoint"):
    return world.aws.stacks.resource(STACK_ID, logical_id)[1]


def test_the_response_url_is_signed_when_the_request_is_sent(world, cfn):
    # GIVEN a Create that CloudFormation sends 90.5 s from now
    event = cfn.event("Create", "Endpoint", {})
    cfn.submit(event, delay_s=90.5)
    # WHEN it runs
    answer = cfn.run([event["RequestId"]])[event["RequestId"]]
    # THEN its ResponseURL was signed at the send time (X-Amz-Date rounded down to the second), and the
    # function first ran then
    (delivery,) = cfn.deliveries[event["RequestId"]]
    assert x_amz_date(event["ResponseURL"]) == delivery.amz_date == amz_date(EPOCH + 90.5) == "20270115T080130Z"
    assert delivery.url == event["ResponseURL"] and delivery.sent_at == EPOCH + 90.5
    assert cfn.invocations[0].started == EPOCH + 90.5
    assert answer.at == EPOCH + 100.5 and answer.delivery == delivery
    # AND the registry saw the stack created: in progress from the send, complete at the answer
    assert world.aws.stacks.stack(STACK_ID).history == [
        (EPOCH, "REVIEW_IN_PROGRESS"),
        (EPOCH + 90.5, "CREATE_IN_PROGRESS"),
        (EPOCH + 100.5, "CREATE_COMPLETE"),
    ]
    assert (resource(world).status, resource(world).physical_id, resource(world).updated_at) == (
        "CREATE_COMPLETE",
        "physical-1",
        EPOCH + 100.5,
    )


def test_lambdas_queue_delays_the_first_invocation_but_not_the_url(world, cfn):
    # GIVEN a Create sent now that Lambda's queue holds for 120 s
    event = cfn.event("Create", "Endpoint", {})
    cfn.submit(event, queued_s=120)
    # WHEN it runs
    cfn.run([event["RequestId"]])
    # THEN the URL carries the send time, the first invocation started 120 s later
    assert x_amz_date(event["ResponseURL"]) == amz_date(EPOCH)
    assert cfn.invocations[0].started == EPOCH + 120
    assert cfn.sent[event["RequestId"]] == EPOCH


def test_a_request_is_in_progress_in_the_registry_from_its_send_time(world, cfn, function):
    # GIVEN an Update sent 30 s from now that takes 100 s
    cfn.create("Endpoint", {})
    event = cfn.event("Update", "Endpoint", {}, physical_id="physical-1", old_properties={})
    function.plans[event["RequestId"]] = [Plan(steps=10)]
    start = world.clock.now()
    cfn.submit(event, delay_s=30)
    # WHEN the world runs to 10 s after the send
    cfn.run_until(start + 40)
    # THEN the resource and the stack are UPDATE_IN_PROGRESS since the send, with the event's physical id
    assert (resource(world).status, resource(world).updated_at, resource(world).physical_id) == (
        "UPDATE_IN_PROGRESS",
        start + 30,
        "physical-1",
    )
    assert world.aws.stacks.stack(STACK_ID).history[-1] == (start + 30, "UPDATE_IN_PROGRESS")
    # AND WHEN it is answered, THEN both are complete
    cfn.run([event["RequestId"]])
    assert resource(world).status == "UPDATE_COMPLETE"
    assert world.aws.stacks.status(STACK_ID) == "UPDATE_COMPLETE"


def test_a_cancelled_request_is_no_longer_waited_for_while_its_chain_runs_on(world, cfn, function):
    # GIVEN an Update whose function works 10 x 30 s and answers FAILED, sent now
    cfn.create("Endpoint", {})
    start = world.clock.now()
    update = cfn.event("Update", "Endpoint", {}, physical_id="physical-1", old_properties={})
    function.plans[update["RequestId"]] = [Plan(steps=10, step_s=30, status="FAILED")]
    cfn.submit(update)
    # WHEN CloudFormation cancels it 60 s in and sends the rollback Update 5 s later
    cfn.run_until(start + 60)
    cfn.cancel(update["RequestId"])
    # THEN the resource failed at once, "Resource update cancelled"
    assert (resource(world).status, resource(world).reason, resource(world).updated_at) == (
        "UPDATE_FAILED",
        "Resource update cancelled",
        start + 60,
    )
    rollback = cfn.event("Update", "Endpoint", {}, physical_id="physical-1", old_properties={})
    cfn.submit(rollback, delay_s=5, rollback=True)
    # AND waiting for the cancelled request returns at once, with nothing read
    assert cfn.run([update["RequestId"]], drain=False) == {}
    # WHEN the rollback is run without draining
    answers = cfn.run([rollback["RequestId"]], drain=False)
    # THEN it is read while the cancelled chain still has invocations queued
    assert answers[rollback["RequestId"]].body["Status"] == "SUCCESS"
    assert world.aws.stacks.status(STACK_ID) == "UPDATE_ROLLBACK_COMPLETE"
    chain_before = [i for i in cfn.invocations if i.request_id == update["RequestId"]]
    assert len(chain_before) < 10
    # AND WHEN the rest is drained, the chain runs to its end and its FAILED answer is written, recorded
    # by the receiver and never read
    cfn.drain()
    chain = [i for i in cfn.invocations if i.request_id == update["RequestId"]]
    assert len(chain) == 10 and function.delivered[-1] == ("FAILED", True)
    assert [p.outcome for p in world.receiver.puts_to(update["RequestId"])] == [200]
    assert update["RequestId"] not in cfn.read
    # AND the invocations ran in time order, the rollback's between the chain's
    starts = [i.started for i in cfn.invocations]
    assert starts == sorted(starts)
    assert resource(world).status == "UPDATE_COMPLETE"
    assert world.aws.stacks.status(STACK_ID) == "UPDATE_ROLLBACK_COMPLETE"


def test_a_cancelled_create_is_cancelled_as_a_creation(world, cfn, function):
    event = cfn.event("Create", "Endpoint", {})
    function.plans[event["RequestId"]] = [Plan(steps=3, step_s=30)]
    cfn.submit(event)
    cfn.run_until(EPOCH + 10)
    cfn.cancel(event["RequestId"])
    assert (resource(world).status, resource(world).reason) == ("CREATE_FAILED", "Resource creation cancelled")


def test_a_resent_request_is_read_only_from_after_its_new_send_time(world, cfn, function):
    # GIVEN a Create answered SUCCESS (physical-1) 10 s after it was sent
    event = cfn.event("Create", "Endpoint", {})
    function.plans[event["RequestId"]] = [Plan(physical_id="physical-1"), Plan(physical_id="physical-2")]
    first = cfn.send(event)
    assert first.body["PhysicalResourceId"] == "physical-1"
    # WHEN CloudFormation sends the same request again 100 s later
    again = cfn.resend(event["RequestId"], delay_s=100)
    answers = cfn.run([event["RequestId"]])
    # THEN it is a new delivery of the same RequestId, signed at the new send time, for the same key
    first_delivery, second_delivery = cfn.deliveries[event["RequestId"]]
    assert again["RequestId"] == event["RequestId"] and again["ResponseURL"] != event["ResponseURL"]
    assert second_delivery.url == again["ResponseURL"] and second_delivery.key == first_delivery.key
    assert x_amz_date(again["ResponseURL"]) == amz_date(first.at + 100)
    # AND the answer read is the new one, although the old one is the first written to the key
    answer = answers[event["RequestId"]]
    assert (answer.body["PhysicalResourceId"], answer.at, answer.delivery) == (
        "physical-2",
        first.at + 110,
        second_delivery,
    )
    assert cfn.stale_answers == []
    # AND the resource was in progress again from the new send time
    creates = [s for s in world.aws.stacks.stack(STACK_ID).history if s[1].startswith("UPDATE")]
    assert creates[0] == (first.at + 100, "UPDATE_IN_PROGRESS")
    assert resource(world).physical_id == "physical-2"


def test_a_stale_deliverys_late_answer_is_read_for_the_newer_delivery_and_reported(world, cfn, function):
    # GIVEN a Create whose first delivery works 10 x 30 s and answers FAILED; CloudFormation cancels it
    # 60 s in and sends the same RequestId again at 120 s, and that delivery works 20 x 30 s
    event = cfn.event("Create", "Endpoint", {})
    function.plans[event["RequestId"]] = [
        Plan(steps=10, step_s=30, status="FAILED", physical_id="stale"),
        Plan(steps=20, step_s=30, physical_id="fresh"),
    ]
    cfn.submit(event)
    cfn.run_until(EPOCH + 60)
    cfn.cancel(event["RequestId"])
    cfn.resend(event["RequestId"], delay_s=60)
    # WHEN CloudFormation waits for the new delivery
    answer = cfn.run([event["RequestId"]], drain=False)[event["RequestId"]]
    # THEN what it reads is the stale chain's FAILED, written after the resend through the first delivery's
    # URL (the driver runs one invocation at a time, so the two chains share the clock after 120 s)
    stale_delivery, fresh_delivery = cfn.deliveries[event["RequestId"]]
    assert (answer.body["Status"], answer.delivery) == ("FAILED", stale_delivery)
    assert EPOCH + 300 <= answer.at < EPOCH + 120 + 600
    assert cfn.stale_answers == [answer]
    assert (resource(world).status, resource(world).reason) == ("CREATE_FAILED", "it failed")
    # AND the fresh chain's later answer overwrites the key too, but is not read
    cfn.drain()
    puts = world.receiver.puts_to(event["RequestId"])
    assert [(p.delivery, p.outcome) for p in puts] == [(stale_delivery, 200), (fresh_delivery, 200)]
    assert cfn.read[event["RequestId"]] is answer


def test_an_answer_put_after_the_url_expired_is_refused_and_never_read(world, cfn, function):
    # GIVEN a Create sent now that Lambda's queue holds for 7,300 s, past the URL's 7,200 s
    event = cfn.event("Create", "Endpoint", {})
    cfn.submit(event, queued_s=7300)
    # WHEN it runs, THEN the answer's PUT is refused (403, final for the sender) and CloudFormation times out
    with pytest.raises(CloudFormationTimeout):
        cfn.run([event["RequestId"]])
    assert function.delivered == [("SUCCESS", False)]
    assert [p.outcome for p in world.receiver.puts_to(event["RequestId"])] == ["expired"]
    assert world.receiver.first(event["RequestId"]) is None
    assert (resource(world).status, resource(world).updated_at) == ("CREATE_FAILED", EPOCH + cfn.service_timeout_s)


def test_the_timeout_counts_from_the_resent_deliverys_send_time(world, cfn, function):
    # GIVEN a request resent 2,000 s after it was first sent (ServiceTimeout 2,700 s), answered 1,000 s later
    event = cfn.event("Create", "Endpoint", {})
    function.plans[event["RequestId"]] = [Plan(steps=10, step_s=100)]  # the first invocation to run: the resend's
    cfn.submit(event, delay_s=0, queued_s=10_000)  # the first delivery's function never runs in time
    cfn.run_until(EPOCH + 2000)
    cfn.resend(event["RequestId"])
    # WHEN it runs, THEN the answer 3,000 s after the first send is read: the deadline is the resend's
    answer = cfn.run([event["RequestId"]], drain=False)[event["RequestId"]]
    assert answer.at == EPOCH + 3000 and answer.delivery == cfn.deliveries[event["RequestId"]][1]


def test_a_delete_of_a_complete_stack_puts_it_in_delete_in_progress_then_complete(world, cfn):
    # GIVEN a created stack
    cfn.create("Endpoint", {})
    # WHEN its resource is deleted
    answer = cfn.delete("Endpoint", "physical-1", {})
    # THEN the stack went DELETE_IN_PROGRESS at the send and DELETE_COMPLETE at the answer
    assert [s for _, s in world.aws.stacks.stack(STACK_ID).history][-2:] == ["DELETE_IN_PROGRESS", "DELETE_COMPLETE"]
    assert (resource(world).status, resource(world).updated_at) == ("DELETE_COMPLETE", answer.at)


def test_a_failed_answer_leaves_the_resource_and_the_stack_failed_with_its_reason(world, cfn, function):
    # GIVEN a created stack and an Update its function answers FAILED
    cfn.create("Endpoint", {})
    event = cfn.event("Update", "Endpoint", {}, physical_id="physical-1", old_properties={})
    function.plans[event["RequestId"]] = [Plan(status="FAILED", physical_id="physical-1")]
    # WHEN it runs
    answer = cfn.send(event)
    # THEN the resource is UPDATE_FAILED with the answer's reason, and the stack UPDATE_FAILED (no rollback
    # of its own: the request-level driver leaves that to the test)
    assert (resource(world).status, resource(world).reason, resource(world).updated_at) == (
        "UPDATE_FAILED",
        "it failed",
        answer.at,
    )
    assert world.aws.stacks.status(STACK_ID) == "UPDATE_FAILED"


def test_a_request_sent_during_a_rollback_keeps_the_stack_rolling_back(world, cfn):
    # GIVEN a stack rolling back (a rollback Update sent 60 s from now) and another Update sent with it
    cfn.create("Endpoint", {})
    first = cfn.event("Update", "Endpoint", {}, physical_id="physical-1", old_properties={})
    second = cfn.event("Update", "Other", {}, physical_id="physical-9", old_properties={})
    cfn.submit(first, rollback=True)
    cfn.submit(second, delay_s=60)
    # WHEN both are answered
    cfn.run([first["RequestId"], second["RequestId"]])
    # THEN the stack stayed UPDATE_ROLLBACK_IN_PROGRESS until the last answer, then completed the rollback
    statuses = [s for _, s in world.aws.stacks.stack(STACK_ID).history]
    assert statuses[-2:] == ["UPDATE_ROLLBACK_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE"]
    assert world.aws.stacks.stack(STACK_ID).status_at == cfn.read[second["RequestId"]].at
