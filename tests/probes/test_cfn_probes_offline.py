"""Probes tier: the CloudFormation probes (integ/probes/cfn.py) against the loopback world: each comes out confirmed and
makes no endpoint; a loopback that behaves otherwise, or a probe made to expect the opposite, refutes them;
and the recorder's inline code follows the same rules as the loopback's stand-in."""

from __future__ import annotations

import json
import sys
import types
from typing import Any

import boto3
import pytest

from comprehend_loopback import cfnstacks, stacks
from comprehend_loopback.cloudformation import CloudFormation
from integ.probes import cfn
from tests.probes.test_probes_offline import NOTHING_LEFT, PREFIX, run_probes

NAMES = [p.__name__.removeprefix("probe_") for p in cfn.PROBES]


def test_every_cloudformation_probe_is_confirmed_on_the_loopback_and_makes_no_endpoint(world):
    # GIVEN the loopback world, whose stack service plays the probes' recorder stacks
    # WHEN the CloudFormation probes run
    report = run_probes(world, cfn.PROBES)
    # THEN each is confirmed, no Comprehend endpoint was made, and no stack or record is left
    assert {r.name: r.verdict for r in report.results} == dict.fromkeys(NAMES, "confirmed"), [
        (r.name, r.evidence.get("checks")) for r in report.results if r.verdict != "confirmed"
    ]
    assert world.comprehend.creates == []
    assert report.left == NOTHING_LEFT
    assert world.aws.stacks.stacks() == []
    # AND every probe stack was deleted in the probe's own clean-up
    for result in report.results:
        assert result.evidence["cleanup"]["status"] == "DELETE_COMPLETE"
        assert result.evidence["cleanup"]["left"] is False


def test_the_basic_stack_is_deployed_once_for_its_five_probes(world):
    # GIVEN the five probes that read the basic stack
    # WHEN they run one after the other
    run_probes(world, cfn.PROBES[:5])
    # THEN the basic stack was created once, and is deleted
    basic = [p for p in world.aws.stacks.operator.players.values() if p.name == f"{PREFIX}-basic"]
    assert [p.status for p in basic] == ["DELETE_COMPLETE"]


def test_a_loopback_showing_the_replaced_id_during_the_cleanup_refutes_the_cleanup_probe(world, monkeypatch):
    # GIVEN a registry that records the cleanup's Delete of a replaced id as the resource's own status
    original = stacks.CloudFormationState.set_resource_status

    def plain(self, stack_id, logical_id, status, *, at, reason="", physical_id=None, resource_type=None):
        with self.lock:
            resource = self._stacks[stack_id].resources.get(logical_id)
            if resource is not None and physical_id:
                resource.physical_id = ""  # the rule no longer sees a replaced id
        original(
            self,
            stack_id,
            logical_id,
            status,
            at=at,
            reason=reason,
            physical_id=physical_id,
            resource_type=resource_type,
        )

    monkeypatch.setattr(stacks.CloudFormationState, "set_resource_status", plain)
    # WHEN the cleanup probe runs
    (result,) = run_probes(world, [cfn.probe_cleanup_reads_current_resource]).results
    # THEN it is refuted: during the cleanup the resource showed the old id, being deleted
    assert result.verdict == "refuted"
    assert result.evidence["checks"]["during it the resource shows first-2"] is False
    assert result.evidence["checks"]["during it the resource is not DELETE_*"] is False


def test_a_loopback_that_waits_for_the_cancelled_answer_refutes_the_cancellation_probe(world, monkeypatch):
    # GIVEN a loopback CloudFormation that never cancels: a failing sibling fails only once the slow one answered
    timing = cfnstacks._timing
    monkeypatch.setattr(cfnstacks, "_timing", lambda body: (timing(body)[0], None))
    # WHEN the cancellation probe runs
    (result,) = run_probes(world, [cfn.probe_cancelled_requests_rolled_back]).results
    # THEN it is refuted: the rollback came only after the slow answer
    assert result.verdict == "refuted"
    checks = result.evidence["checks"]
    assert checks["Update: the rollback Update came before the answer"] is False
    assert checks["Create: the rollback Delete came before the answer"] is False
    assert result.evidence["cleanup"]["status"] == "DELETE_COMPLETE"


def test_a_loopback_resending_under_a_new_request_id_refutes_the_resend_probe(world, monkeypatch):
    # GIVEN a loopback that re-sends a failed request under a new RequestId

    def renamed(self, request_id, **kwargs):
        event = self.events[request_id]
        fresh = self.event(
            event["RequestType"],
            event["LogicalResourceId"],
            event["ResourceProperties"],
            physical_id=event.get("PhysicalResourceId"),
            old_properties=event.get("OldResourceProperties"),
            defaults=False,
        )
        self.submit(fresh)
        return fresh

    monkeypatch.setattr(CloudFormation, "resend", renamed)
    # WHEN the re-send probe runs
    (result,) = run_probes(world, [cfn.probe_resent_request_same_id]).results
    # THEN it is refuted on the RequestId, for the retried deployment and the continued rollback
    assert result.verdict == "refuted"
    assert result.evidence["checks"]["retry: the same RequestId"] is False
    assert result.evidence["checks"]["continue: the same RequestId"] is False


def test_a_probe_expecting_the_resource_stamped_minutes_before_the_url_is_refuted(world, monkeypatch):
    # GIVEN the cleanup probe made to expect LastUpdatedTimestamp and X-Amz-Date to differ by more than nothing
    monkeypatch.setattr(cfn, "NEWER_DELIVERY_S", -1.0)
    # WHEN it runs
    (result,) = run_probes(world, [cfn.probe_cleanup_reads_current_resource]).results
    # THEN it is refuted on that check alone, with the gaps measured
    assert result.verdict == "refuted"
    failed = [c for c, held in result.evidence["checks"].items() if not held]
    assert failed == ["LastUpdatedTimestamp within 60 s of X-Amz-Date"]
    assert all(gap == 0 for gap in result.evidence["last_updated_minus_amz_date_s"])


def test_a_loopback_stamping_last_updated_time_at_the_updates_start_refutes_the_last_updated_probe(world, monkeypatch):
    # GIVEN a registry whose LastUpdatedTime is the time the latest update began (UPDATE_IN_PROGRESS) only
    original = stacks.CloudFormationState.set_stack_status

    def at_start(self, stack_id, status, *, at, reason=""):
        kept = self._stacks[stack_id].last_updated_at
        original(self, stack_id, status, at=at, reason=reason)
        if status != "UPDATE_IN_PROGRESS":
            self._stacks[stack_id].last_updated_at = kept

    monkeypatch.setattr(stacks.CloudFormationState, "set_stack_status", at_start)
    # WHEN the LastUpdatedTime probe runs
    (result,) = run_probes(world, [cfn.probe_stack_last_updated_time]).results
    # THEN it is refuted: LastUpdatedTime is the update's start, 20 s or more before UPDATE_COMPLETE
    assert result.verdict == "refuted"
    assert result.evidence["checks"]["LastUpdatedTime is that event's time (within 1 s)"] is False
    assert result.evidence["LastUpdatedTime_minus_update_start_s"] == 0
    assert result.evidence["cleanup"]["status"] == "DELETE_COMPLETE"


def test_a_probe_expecting_an_enum_value_to_be_refused_is_refuted(world, monkeypatch):
    # GIVEN the Invoke probe made to send an InvocationType of the enum (Event), which Lambda accepts
    monkeypatch.setattr(cfn, "BOGUS_INVOCATION_TYPE", "Event")
    # WHEN it runs
    (result,) = run_probes(world, [cfn.probe_invoke_bad_invocation_type]).results
    # THEN it is refuted: the answer was not ValidationException
    assert result.verdict == "refuted"
    assert result.evidence["Invoke"]["code"] != "ValidationException"


class _FakeS3:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put_object(self, Bucket: str, Key: str, Body: bytes) -> None:
        self.objects[Key] = Body

    def list_objects_v2(self, Bucket: str, Prefix: str) -> dict[str, Any]:
        return {"Contents": [{"Key": k} for k in sorted(self.objects) if k.startswith(Prefix)]}


class _FakeCloudFormation:
    def describe_stack_resource(self, StackName: str, LogicalResourceId: str) -> dict[str, Any]:
        raise RuntimeError("no such resource")


def test_the_recorders_inline_code_fits_a_zipfile_and_answers_as_the_stand_in_does(world, monkeypatch):
    # GIVEN the inline code, run with in-memory S3 and CloudFormation clients, and ResponseURLs of the loopback
    assert len(cfn.RECORDER_CODE) <= 4096  # CloudFormation's limit for ZipFile code
    s3 = _FakeS3()
    fake_boto3 = types.SimpleNamespace(client=lambda name: s3 if name == "s3" else _FakeCloudFormation())
    monkeypatch.setitem(sys.modules, "boto3", fake_boto3)
    monkeypatch.setenv("BUCKET", "records")
    namespace: dict[str, Any] = {}
    exec(compile(cfn.RECORDER_CODE, "index.py", "exec"), namespace)
    stack_id = "arn:aws:cloudformation:us-east-1:111122223333:stack/probe-x/0000"

    def event(request_type: str, request_id: str, **props: Any) -> dict[str, Any]:
        url = world.receiver.url_for(request_id, stack_id, "Thing")
        return {
            "RequestType": request_type,
            "RequestId": request_id,
            "StackId": stack_id,
            "LogicalResourceId": "Thing",
            "ResponseURL": url,
            "ResourceProperties": props,
            **({"PhysicalResourceId": "old"} if request_type != "Create" else {}),
        }

    # WHEN it gets a Create told to fail its first delivery, the same request again, and a Delete
    namespace["handler"](event("Create", "r1", FailFirst="true", PhysicalId="made"), None)
    namespace["handler"](event("Create", "r1", FailFirst="true", PhysicalId="made"), None)
    namespace["handler"](event("Delete", "r2", PhysicalId="ignored"), None)
    # THEN it answered FAILED, then SUCCESS with its PhysicalId, then the Delete with the event's physical id
    answers = [
        (a.body["Status"], a.body["PhysicalResourceId"]) for rid in ("r1", "r2") for a in world.receiver.answers[rid]
    ]
    assert answers == [("FAILED", "made"), ("SUCCESS", "made"), ("SUCCESS", "old")]
    # AND it recorded each request and answer (with the HTTP status met) under the stack's name
    records = [json.loads(body) for _, body in sorted(s3.objects.items())]
    assert all(key.startswith("probe-x/") for key in s3.objects)
    assert [r["kind"] for r in records] == ["received", "answered"] * 3
    assert [r["http"] for r in records if r["kind"] == "answered"] == [200, 200, 200]
    assert records[0]["resource"]["error"].startswith("RuntimeError")


@pytest.mark.parametrize("name", NAMES)
def test_every_cloudformation_probe_is_in_the_docs_and_the_verified_list(name):
    # GIVEN the probe docs, the verification list and the README
    from tests.probes.test_probes_offline import ROOT

    # THEN each CloudFormation probe is named in all three
    for doc in ("docs/probes.md", "docs/verification.md", "README.md"):
        assert f"`{name}`" in (ROOT / doc).read_text(), (doc, name)


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1"])
def test_the_accounts_record_store_is_a_bucket_read_in_order_and_removed_with_the_log_groups(region, monkeypatch):
    # GIVEN a (moto) account, and the store the probes use there, with the recorder's objects and log group
    from moto import mock_aws

    for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        session = boto3.session.Session(region_name=region)
        store = cfn.S3Recordings(session, "probe-abc123", region, "111122223333", None)
        assert store.remaining() == []  # never made: nothing to look for
        bucket = store.prepare()
        s3, logs = session.client("s3"), session.client("logs")
        for at, kind in ((20.0, "answered"), (10.0, "received")):
            body = json.dumps({"kind": kind, "at": at, "stack": "probe-abc123-basic"}).encode()
            s3.put_object(Bucket=bucket, Key=f"probe-abc123-basic/{int(at * 1e9)}-{kind}-r1.json", Body=body)
        s3.put_object(Bucket=bucket, Key="probe-abc123-other/1-received-r2.json", Body=b'{"at": 1}')
        logs.create_log_group(logGroupName="/aws/lambda/probe-abc123-basic")
        logs.create_log_group(logGroupName="/aws/lambda/someone-else")
        # WHEN one stack's records are read, then the store is removed
        records = store.records("probe-abc123-basic")
        left_before = store.remaining()
        store.remove()
        # THEN the records came oldest first, and the bucket and the probes' log group are gone (not others')
        assert [r["kind"] for r in records] == ["received", "answered"]
        assert left_before == [bucket] and bucket == f"probe-abc123-records-111122223333-{region}"
        assert store.remaining() == []
        groups = [g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]]
        assert groups == ["/aws/lambda/someone-else"]
