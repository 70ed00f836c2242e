"""The CloudFormation probes: what the handler assumes of CloudFormation's custom-resource protocol, checked
with tiny stacks whose custom resources are a *recorder* function.

The recorder (``RECORDER_CODE``, inline ``ZipFile`` code, Python 3.12) writes every event it receives to the
probes' S3 bucket, with what ``DescribeStackResource`` says of its resource at that moment, and answers as
the event's ``ResourceProperties`` tell it: a Delete at once; a Create or Update after ``Wait`` seconds,
FAILED when ``Fail`` is ``"true"`` (or ``FailFirst`` and the RequestId is new to it), else SUCCESS with the
physical id ``PhysicalId``. It then writes the answer and the HTTP status its PUT met. The stacks make no
Comprehend endpoint: they cost nothing but a few Lambda seconds and S3 requests.

Offline, the loopback runs a stand-in that follows the same rules (``comprehend_loopback.cfnstacks.Recorder``)
and stacks played by its ``StackService``. Every stack a probe makes is deleted in a ``finally`` and checked
gone; the run's clean-up deletes the bucket and every stack with the prefix.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3

from integ.probes.target import CONFIG, ProbeResult, Target, Verdict, call, delete_stack

SERVICE_TIMEOUT = 300
"""The ServiceTimeout every recorder resource is given (seconds; CloudFormation's minimum is 1)."""
SIBLING_DELAY_S = 30
"""When the failing sibling fails (seconds after it was sent)."""
SLOW_S = 180
"""How long the slow resource takes to answer: well after its sibling failed and the rollback ran."""
FIRST_WAIT_S = 60
"""How long the first resource of the basic stack takes, so that the second's request is sent later."""
NEWER_DELIVERY_S = 60.0
"""How far the resource's LastUpdatedTimestamp may be from the request's X-Amz-Date (watch.py's bound)."""
CLOCK_SKEW_S = 5.0
"""How far the probe's, Lambda's and CloudFormation's clocks may disagree."""
UPDATE_WAIT_S = 20
"""How long ``First`` takes to answer the basic stack's update, so that the update's start and end differ."""
SAME_TIME_S = 1.0
"""How far a stack's LastUpdatedTime may be from the event it is taken to stamp (both CloudFormation's clock)."""
STACK_WAIT_S = 30 * 60
CFN_MINUTES = 25
"""Expected minutes of the CloudFormation probes on an account (no endpoint bills meanwhile)."""

RESPONSE_BUCKET = "cloudformation-custom-resource-response-"
"""The start of the bucket every ResponseURL names (AWS's public examples: virtual-hosted, in the host)."""

CLOUDFORMATION = "loopback/comprehend_loopback/cloudformation.py"
CFNSTACKS = "loopback/comprehend_loopback/cfnstacks.py"
STACKS = "loopback/comprehend_loopback/stacks.py"
RECEIVER = "loopback/comprehend_loopback/receiver.py"
WATCH = "lambda/comprehend_cr/watch.py"
DELIVERY = "lambda/comprehend_cr/delivery.py"
VERIFIED = "docs/verification.md (What was, and was not, verified)"

RECORDER_CODE = """\
import json,os,time,urllib.request,urllib.error,boto3
s3=boto3.client("s3");cf=boto3.client("cloudformation");B=os.environ["BUCKET"]
def view(e):
    try:
        d=cf.describe_stack_resource(StackName=e["StackId"],LogicalResourceId=e["LogicalResourceId"])
        d=d["StackResourceDetail"]
        return {"PhysicalResourceId":d.get("PhysicalResourceId",""),"ResourceStatus":d["ResourceStatus"],
                "LastUpdatedTimestamp":d["LastUpdatedTimestamp"].timestamp()}
    except Exception as x:
        return {"error":type(x).__name__+": "+str(x)[:200]}
def put(stack,kind,rid,record):
    record.update(kind=kind,stack=stack)
    key=stack+"/"+str(time.time_ns())+"-"+kind+"-"+rid+".json"
    s3.put_object(Bucket=B,Key=key,Body=json.dumps(record,default=str).encode())
def handler(e,c):
    now=time.time();stack=e["StackId"].split("/")[1];rid=e["RequestId"];t=e["RequestType"]
    p=e.get("ResourceProperties") or {}
    keys=[o["Key"] for o in s3.list_objects_v2(Bucket=B,Prefix=stack+"/").get("Contents",[])]
    seen=any(k.endswith("-received-"+rid+".json") for k in keys)
    put(stack,"received",rid,{"at":now,"event":e,"resource":view(e)})
    status,reason,pid,wait="SUCCESS","recorded",e.get("PhysicalResourceId") or "",0.0
    if t!="Delete":
        pid=p.get("PhysicalId") or pid or e["LogicalResourceId"]+"-recorded"
        wait=float(p.get("Wait") or 0)
        if str(p.get("Fail","")).lower()=="true":
            status,reason="FAILED","told to fail (Fail: true)"
        elif str(p.get("FailFirst","")).lower()=="true" and not seen:
            status,reason="FAILED","told to fail its first delivery (FailFirst: true)"
    time.sleep(wait)
    answer={"Status":status,"Reason":reason,"PhysicalResourceId":pid,"StackId":e["StackId"],
            "RequestId":rid,"LogicalResourceId":e["LogicalResourceId"],"Data":{}}
    before=view(e)
    req=urllib.request.Request(e["ResponseURL"],data=json.dumps(answer).encode(),method="PUT",
                               headers={"Content-Type":""})
    try:
        http=urllib.request.urlopen(req,timeout=30).status
    except urllib.error.HTTPError as x:
        http=x.code
    put(stack,"answered",rid,{"at":time.time(),"answer":answer,"http":http,"resource":before})
"""
"""The recorder's inline code (the same rules as the loopback's stand-in ``cfnstacks.Recorder``)."""


# -- the records ------------------------------------------------------------------------------------
class S3Recordings:
    """On an account: the bucket ``<prefix>-records-<account>-<region>``, made on first use, emptied and
    deleted at the end (with the recorder functions' log groups)."""

    def __init__(self, session: boto3.session.Session, prefix: str, region: str, account: str, clock: Any) -> None:
        self._s3: Any = session.client("s3", region_name=region, config=CONFIG)
        self._logs: Any = session.client("logs", region_name=region, config=CONFIG)
        self.bucket = f"{prefix}-records-{account}-{region}"[:63]
        self._prefix, self._region, self._clock = prefix, region, clock
        self._made = False

    def prepare(self) -> str:
        if not self._made:
            where = (
                {}
                if self._region == "us-east-1"
                else {"CreateBucketConfiguration": {"LocationConstraint": self._region}}
            )
            self._s3.create_bucket(Bucket=self.bucket, **where)
            self._made = True
        return self.bucket

    def records(self, stack_name: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=f"{stack_name}/"):
            for item in page.get("Contents", []):
                body = self._s3.get_object(Bucket=self.bucket, Key=item["Key"])["Body"].read()
                found.append(json.loads(body))
        return sorted(found, key=lambda r: float(r["at"]))

    def remove(self) -> None:
        if self._made:
            for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
                for item in page.get("Contents", []):
                    self._s3.delete_object(Bucket=self.bucket, Key=item["Key"])
            call(self._s3.delete_bucket, Bucket=self.bucket)
        for page in self._logs.get_paginator("describe_log_groups").paginate(
            logGroupNamePrefix=f"/aws/lambda/{self._prefix}-"
        ):
            for group in page.get("logGroups", []):
                call(self._logs.delete_log_group, logGroupName=group["logGroupName"])

    def remaining(self) -> list[str]:
        if not self._made:
            return []
        return [self.bucket] if call(self._s3.head_bucket, Bucket=self.bucket).ok else []


class LoopbackRecordings:
    """Offline: the loopback's :class:`~comprehend_loopback.cfnstacks.StackService` (installed on the world if
    it is not yet) runs the recorder stand-in for every function named with the prefix."""

    def __init__(self, world: Any, prefix: str) -> None:
        from comprehend_loopback.cfnstacks import Recorder, StackService

        operator = world.aws.stacks.operator
        self.service = operator if isinstance(operator, StackService) else StackService.install(world)
        self.recorder = Recorder(world)
        self.service.register_stand_in(f"{prefix}-*", self.recorder)

    def prepare(self) -> str:
        return "loopback-records"

    def records(self, stack_name: str) -> list[dict[str, Any]]:
        self.service.catch_up()  # the loopback acts when asked: let what is due by now happen
        return self.recorder.of(stack_name)

    def remove(self) -> None:
        with self.recorder.lock:
            self.recorder.records.clear()

    def remaining(self) -> list[str]:
        return []


# -- stacks -----------------------------------------------------------------------------------------
def recorder(props: dict[str, Any] | None = None, *, depends_on: str | None = None) -> dict[str, Any]:
    """A custom resource answered by the stack's recorder, with ``props`` (Wait, Fail, FailFirst, PhysicalId...)."""
    resource: dict[str, Any] = {
        "Type": "Custom::Recorder",
        "Properties": {
            "ServiceToken": {"Fn::GetAtt": ["Recorder", "Arn"]},
            "ServiceTimeout": SERVICE_TIMEOUT,
            **(props or {}),
        },
    }
    if depends_on:
        resource["DependsOn"] = depends_on
    return resource


def template(target: Target, label: str, bucket: str, resources: dict[str, Any]) -> str:
    """The probe stack's template: the recorder function and its role, and ``resources``."""
    stack_arn = {
        "Fn::Sub": "arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stack/${AWS::StackName}/*"
    }
    bucket_arn = {"Fn::Sub": f"arn:${{AWS::Partition}}:s3:::{bucket}"}
    body = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "cdk-comprehend-endpoint probe: a recorder custom resource (deleted by the probe)",
        "Resources": {
            "RecorderRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "lambda.amazonaws.com"},
                                "Action": "sts:AssumeRole",
                            }
                        ],
                    },
                    "ManagedPolicyArns": [
                        {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}
                    ],
                    "Policies": [
                        {
                            "PolicyName": "record",
                            "PolicyDocument": {
                                "Version": "2012-10-17",
                                "Statement": [
                                    {
                                        "Effect": "Allow",
                                        "Action": "s3:PutObject",
                                        "Resource": {"Fn::Sub": f"arn:${{AWS::Partition}}:s3:::{bucket}/*"},
                                    },
                                    {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": bucket_arn},
                                    {
                                        "Effect": "Allow",
                                        "Action": "cloudformation:DescribeStackResource",
                                        "Resource": stack_arn,
                                    },
                                ],
                            },
                        }
                    ],
                },
            },
            "Recorder": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "FunctionName": f"{target.prefix}-{label}"[:64],
                    "Runtime": "python3.12",
                    "Handler": "index.handler",
                    "Timeout": SERVICE_TIMEOUT,
                    "MemorySize": 128,
                    "Role": {"Fn::GetAtt": ["RecorderRole", "Arn"]},
                    "Environment": {"Variables": {"BUCKET": bucket}},
                    "Code": {"ZipFile": RECORDER_CODE},
                },
            },
            **resources,
        },
    }
    return json.dumps(body)


@dataclass
class ProbeStack:
    """One probe stack: deployed version after version, read, deleted."""

    target: Target
    label: str
    bucket: str
    stack_id: str = ""
    statuses: list[str] = field(default_factory=list)
    """The final status of every operation, in order."""

    @property
    def name(self) -> str:
        return f"{self.target.prefix}-{self.label}"

    def deploy(self, resources: dict[str, Any], *, disable_rollback: bool = False) -> str:
        """CreateStack (first time) or UpdateStack to these resources, then wait; the final status (or
        the refusal's error code)."""
        body = template(self.target, self.label, self.bucket, resources)
        kwargs: dict[str, Any] = {"TemplateBody": body, "Capabilities": ["CAPABILITY_IAM"]}
        if disable_rollback:
            kwargs["DisableRollback"] = True
        cfn = self.target.cloudformation
        if not self.stack_id:
            answer = call(cfn.create_stack, StackName=self.name, **kwargs)
            if answer.ok:
                self.stack_id = str(answer.response["StackId"])
        else:
            answer = call(cfn.update_stack, StackName=self.stack_id, **kwargs)
        status = self.wait() if answer.ok else f"refused: {answer.code} {answer.message[:200]}"
        self.statuses.append(status)
        return status

    def continue_rollback(self) -> str:
        """ContinueUpdateRollback, then wait; the final status (or the refusal's error code)."""
        answer = call(self.target.cloudformation.continue_update_rollback, StackName=self.stack_id)
        status = self.wait() if answer.ok else f"refused: {answer.code} {answer.message[:200]}"
        self.statuses.append(status)
        return status

    def wait(self) -> str:
        """Describe the stack every ``poll_s`` while it is in progress; its status then."""
        deadline = self.target.clock.now() + STACK_WAIT_S
        while True:
            status = str(
                self.target.cloudformation.describe_stacks(StackName=self.stack_id)["Stacks"][0]["StackStatus"]
            )
            if not status.endswith("_IN_PROGRESS") or self.target.clock.now() >= deadline:
                return status
            self.target.clock.sleep(self.target.poll_s)

    def described(self) -> dict[str, Any]:
        """What DescribeStacks says of the stack now: its status and ``LastUpdatedTime`` (epoch seconds, None
        when absent)."""
        stack = self.target.cloudformation.describe_stacks(StackName=self.stack_id)["Stacks"][0]
        updated = stack.get("LastUpdatedTime")
        return {
            "StackStatus": str(stack.get("StackStatus", "")),
            "LastUpdatedTime": None if updated is None else updated.timestamp(),
        }

    def records(self) -> list[dict[str, Any]]:
        assert self.target.recordings is not None
        return self.target.recordings.records(self.name)

    def wait_for(self, done: Callable[[list[dict[str, Any]]], bool], timeout_s: float) -> list[dict[str, Any]]:
        """The records once ``done(records)`` holds (polled every ``poll_s``), or at the timeout."""
        deadline = self.target.clock.now() + timeout_s
        while not done(records := self.records()) and self.target.clock.now() < deadline:
            self.target.clock.sleep(self.target.poll_s)
        return records

    def events(self) -> list[dict[str, Any]]:
        """The stack's events, oldest first, with epoch-second timestamps."""
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"StackName": self.stack_id}
        while True:
            page = self.target.cloudformation.describe_stack_events(**kwargs)
            items += page.get("StackEvents", [])
            if not page.get("NextToken"):
                break
            kwargs["NextToken"] = page["NextToken"]
        events = [
            {
                "at": e["Timestamp"].timestamp(),
                "logical_id": e.get("LogicalResourceId", ""),
                "physical_id": e.get("PhysicalResourceId", ""),
                "status": e.get("ResourceStatus", ""),
                "reason": e.get("ResourceStatusReason", ""),
            }
            for e in items
        ]
        # the API lists newest first: reversed, a stable sort keeps events of the same timestamp in their order
        return sorted(reversed(events), key=lambda e: float(e["at"]))

    def resource(self, logical_id: str) -> dict[str, Any]:
        answer = call(
            self.target.cloudformation.describe_stack_resource, StackName=self.stack_id, LogicalResourceId=logical_id
        )
        if not answer.ok:
            return {"error": answer.code}
        detail = answer.response["StackResourceDetail"]
        return {"PhysicalResourceId": detail.get("PhysicalResourceId", ""), "ResourceStatus": detail["ResourceStatus"]}


@contextmanager
def probe_stack(target: Target, label: str, evidence: dict[str, Any]) -> Iterator[ProbeStack]:
    """A probe stack, deleted (and checked gone) however the probe ends; the deletion goes in ``evidence``."""
    if target.cloudformation is None or target.recordings is None:
        raise RuntimeError("no CloudFormation client or recorder store: the CloudFormation probes cannot run")
    stack = ProbeStack(target, label, target.recordings.prepare())
    try:
        yield stack
    finally:
        if stack.stack_id:
            status = delete_stack(target, stack.stack_id)
            evidence["cleanup"] = {"stack": stack.stack_id, "status": status, "left": stack.stack_id in target.stacks()}


# -- reading the records ----------------------------------------------------------------------------
def received(records: list[dict[str, Any]], logical_id: str, request_type: str | None = None) -> list[dict[str, Any]]:
    return [
        r
        for r in records
        if r["kind"] == "received"
        and r["event"]["LogicalResourceId"] == logical_id
        and (request_type is None or r["event"]["RequestType"] == request_type)
    ]


def answered(records: list[dict[str, Any]], request_id: str) -> list[dict[str, Any]]:
    return [r for r in records if r["kind"] == "answered" and r["answer"]["RequestId"] == request_id]


def url_query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def amz_date(url: str) -> float | None:
    """The ResponseURL's X-Amz-Date as epoch seconds (None when it has none)."""
    value = url_query(url).get("X-Amz-Date")
    if value is None:
        return None
    try:
        return datetime.datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.UTC).timestamp()
    except ValueError:
        return None


def _result(name: str, verdict: Verdict, evidence: dict[str, Any], summary: str) -> ProbeResult:
    failed = [check for check, held in evidence.get("checks", {}).items() if not held]
    if failed:
        summary = f"{summary}; not as assumed: {', '.join(failed)}"
    return ProbeResult(name, verdict, evidence, DEPENDS_ON[name], summary)


def _verdict(checks: dict[str, bool]) -> Verdict:
    return "confirmed" if all(checks.values()) else "refuted"


def _brief(record: dict[str, Any]) -> dict[str, Any]:
    event = record["event"]
    return {
        "at": record["at"],
        "RequestType": event["RequestType"],
        "RequestId": event["RequestId"],
        "PhysicalResourceId": event.get("PhysicalResourceId"),
        "X-Amz-Date": url_query(event.get("ResponseURL", "")).get("X-Amz-Date"),
        "resource": record.get("resource"),
    }


# -- the basic stack (probes a, b, e) ---------------------------------------------------------------
def basic_run(target: Target) -> dict[str, Any]:
    """Once per session: a stack with ``First`` (answers after a minute) and ``Second`` (depends on it),
        created, then updated so that ``First`` answers a new physical id (replaced: its old id is deleted in
        the cleanup), then deleted. What the recorder saw, the stack's events and what DescribeStacks said right
    after the creation and right after the update are kept for the probes that read it."""
    if "basic" in target.runs:
        return dict(target.runs["basic"])
    run: dict[str, Any] = {}
    try:
        with probe_stack(target, "basic", run) as stack:
            run["create"] = stack.deploy(
                {
                    "First": recorder({"PhysicalId": "first-1", "Wait": FIRST_WAIT_S}),
                    "Second": recorder({"PhysicalId": "second-1"}, depends_on="First"),
                }
            )
            run["after_create"] = stack.described()
            run["update"] = stack.deploy(
                {
                    "First": recorder({"PhysicalId": "first-2", "Wait": UPDATE_WAIT_S}),
                    "Second": recorder({"PhysicalId": "second-1"}, depends_on="First"),
                }
            )
            run["after_update"] = stack.described()  # read right after the update, before anything else
            run["bogus_invoke"] = bogus_invoke(target, stack.name)
            run["records"] = stack.records()
            run["events"] = stack.events()
    except Exception as exc:  # kept, so that its probes say why instead of running it again
        run["error"] = f"{type(exc).__name__}: {exc}"
    target.runs["basic"] = run
    return dict(run)


BOGUS_INVOCATION_TYPE = "Bogus"
"""An InvocationType outside the Invoke API's enum (Event, RequestResponse, DryRun)."""


def bogus_invoke(target: Target, function_name: str) -> dict[str, Any] | None:
    """Invoke the stack's recorder function with an InvocationType outside the enum (parameter validation off,
    so that the request reaches Lambda); the answer's evidence form (None: no such client)."""
    if target.unvalidated_lambda is None:
        return None
    answer = call(
        target.unvalidated_lambda.invoke,
        FunctionName=function_name[:64],
        InvocationType=BOGUS_INVOCATION_TYPE,
        Payload=b"{}",
    )
    return answer.brief()


def _basic_or_inconclusive(target: Target, name: str) -> tuple[dict[str, Any], ProbeResult | None]:
    run = basic_run(target)
    if run.get("error") or run.get("create") != "CREATE_COMPLETE":
        why = run.get("error") or f"the basic stack ended {run.get('create')}, not CREATE_COMPLETE"
        return run, _result(name, "inconclusive", {"why": why, "cleanup": run.get("cleanup")}, why)
    return run, None


def probe_service_timeout_in_event(target: Target) -> ProbeResult:
    """(a) ``ServiceTimeout`` given in a custom resource's properties reaches the event, in
    ``ResourceProperties``, as a string."""
    name = "service_timeout_in_event"
    run, early = _basic_or_inconclusive(target, name)
    if early is not None:
        return early
    creates = received(run["records"], "First", "Create")
    props = creates[0]["event"].get("ResourceProperties", {}) if creates else {}
    value = props.get("ServiceTimeout")
    checks = {
        "First's Create was received": bool(creates),
        "ServiceTimeout in ResourceProperties": "ServiceTimeout" in props,
        f"as the string '{SERVICE_TIMEOUT}'": value == str(SERVICE_TIMEOUT),
    }
    evidence = {"ResourceProperties": props, "ServiceTimeout": value, "checks": checks, "cleanup": run.get("cleanup")}
    return _result(name, _verdict(checks), evidence, f"ServiceTimeout in the event: {value!r}")


def probe_response_url_form(target: Target) -> ProbeResult:
    """(b) Every ResponseURL is a pre-signed S3 URL, SigV4 (``X-Amz-Algorithm=AWS4-HMAC-SHA256``), signing
    ``host`` only, with ``X-Amz-Expires``; its ``X-Amz-Date`` is when CloudFormation sent that request: not
    after the recorder received it, and for ``Second`` (sent once ``First`` answered, a minute in) later
    than ``First``'s by that minute."""
    name = "response_url_form"
    run, early = _basic_or_inconclusive(target, name)
    if early is not None:
        return early
    records = [r for r in run["records"] if r["kind"] == "received"]
    urls = [str(r["event"].get("ResponseURL", "")) for r in records]
    queries = [url_query(u) for u in urls]
    dates = [amz_date(u) for u in urls]
    first = received(run["records"], "First", "Create")
    second = received(run["records"], "Second", "Create")
    first_date = amz_date(first[0]["event"]["ResponseURL"]) if first else None
    second_date = amz_date(second[0]["event"]["ResponseURL"]) if second else None
    checks = {
        "requests received": bool(records),
        "https": all(urlsplit(u).scheme == "https" for u in urls),
        "CloudFormation's S3 response bucket": all(
            RESPONSE_BUCKET in urlsplit(u).netloc + urlsplit(u).path for u in urls
        ),
        "X-Amz-Algorithm AWS4-HMAC-SHA256": all(q.get("X-Amz-Algorithm") == "AWS4-HMAC-SHA256" for q in queries),
        "X-Amz-SignedHeaders host only": all(q.get("X-Amz-SignedHeaders") == "host" for q in queries),
        "X-Amz-Expires a number of seconds": all(q.get("X-Amz-Expires", "").isdigit() for q in queries),
        "X-Amz-Date present": all(d is not None for d in dates),
        "X-Amz-Date not after the request was received": all(
            d is not None and d <= float(r["at"]) + CLOCK_SKEW_S for d, r in zip(dates, records, strict=True)
        ),
        "Second's X-Amz-Date a minute after First's (signed when sent)": first_date is not None
        and second_date is not None
        and second_date >= first_date + FIRST_WAIT_S - CLOCK_SKEW_S,
    }
    evidence = {
        "urls": [{"host": urlsplit(u).netloc, "query_keys": sorted(q)} for u, q in zip(urls, queries, strict=True)],
        "X-Amz-Expires": sorted({q.get("X-Amz-Expires", "") for q in queries}),
        "first": _brief(first[0]) if first else None,
        "second": _brief(second[0]) if second else None,
        "checks": checks,
        "cleanup": run.get("cleanup"),
    }
    return _result(name, _verdict(checks), evidence, f"{len(urls)} ResponseURLs read")


def probe_cleanup_reads_current_resource(target: Target) -> ProbeResult:
    """(e) While the replaced (old) physical id is deleted in the cleanup, ``DescribeStackResource`` shows the
    current physical id (not DELETE_*); and at every Create and Update the resource is the request's
    ``*_IN_PROGRESS`` with a ``LastUpdatedTimestamp`` within 60 s of the request's ``X-Amz-Date``."""
    name = "cleanup_reads_current_resource"
    run, early = _basic_or_inconclusive(target, name)
    if early is not None:
        return early
    records = run["records"]
    cleanup = [r for r in received(records, "First", "Delete") if r["event"].get("PhysicalResourceId") == "first-1"]
    view = cleanup[0]["resource"] if cleanup else {}
    forward = [r for r in records if r["kind"] == "received" and r["event"]["RequestType"] in ("Create", "Update")]
    gaps: list[float | None] = []
    in_progress: list[bool] = []
    for record in forward:
        seen = record.get("resource", {})
        sent = amz_date(record["event"]["ResponseURL"])
        when = seen.get("LastUpdatedTimestamp")
        gaps.append(None if sent is None or when is None else round(float(when) - sent, 1))
        in_progress.append(seen.get("ResourceStatus") == f"{record['event']['RequestType'].upper()}_IN_PROGRESS")
    checks = {
        "the update ended UPDATE_COMPLETE": run.get("update") == "UPDATE_COMPLETE",
        "the cleanup deleted first-1": bool(cleanup),
        "during it the resource shows first-2": view.get("PhysicalResourceId") == "first-2",
        "during it the resource is not DELETE_*": not str(view.get("ResourceStatus", "DELETE_?")).startswith("DELETE_"),
        "at each Create/Update the resource is *_IN_PROGRESS": bool(forward) and all(in_progress),
        "LastUpdatedTimestamp within 60 s of X-Amz-Date": bool(gaps)
        and all(g is not None and abs(g) <= NEWER_DELIVERY_S for g in gaps),
    }
    evidence = {
        "cleanup_delete": _brief(cleanup[0]) if cleanup else None,
        "forward_requests": [_brief(r) for r in forward],
        "last_updated_minus_amz_date_s": gaps,
        "checks": checks,
        "cleanup": run.get("cleanup"),
    }
    return _result(name, _verdict(checks), evidence, f"during the cleanup: {view or 'no request'}")


def probe_stack_last_updated_time(target: Target) -> ProbeResult:
    """(f) A stack's ``LastUpdatedTime`` (DescribeStacks) is the time of its latest change to an ``UPDATE_*``
    status: absent after the creation; right after the update, the time of the stack's latest ``UPDATE_*``
    event (``UPDATE_COMPLETE``), not of the update's start (``UPDATE_IN_PROGRESS``)."""
    name = "stack_last_updated_time"
    run, early = _basic_or_inconclusive(target, name)
    if early is not None:
        return early
    stack_events = [e for e in run.get("events", []) if e["logical_id"] == f"{target.prefix}-basic"]
    updates = [e for e in stack_events if str(e["status"]).startswith("UPDATE_")]
    latest = updates[-1] if updates else None
    started = [e for e in updates if e["status"] == "UPDATE_IN_PROGRESS"]
    after_create = run.get("after_create", {})
    after_update = run.get("after_update", {})
    seen = after_update.get("LastUpdatedTime")
    checks = {
        "the update ended UPDATE_COMPLETE": run.get("update") == "UPDATE_COMPLETE",
        "no LastUpdatedTime before any update": after_create.get("LastUpdatedTime") is None,
        "LastUpdatedTime after the update": seen is not None,
        "the stack's latest UPDATE_* event is UPDATE_COMPLETE": latest is not None
        and latest["status"] == "UPDATE_COMPLETE",
        f"LastUpdatedTime is that event's time (within {SAME_TIME_S:.0f} s)": seen is not None
        and latest is not None
        and abs(float(seen) - float(latest["at"])) <= SAME_TIME_S,
    }
    evidence = {
        "after_create": after_create,
        "after_update": after_update,
        "stack_update_events": [{"status": e["status"], "at": e["at"]} for e in updates],
        "LastUpdatedTime_minus_latest_update_event_s": None
        if seen is None or latest is None
        else round(float(seen) - float(latest["at"]), 3),
        "LastUpdatedTime_minus_update_start_s": None
        if seen is None or not started
        else round(float(seen) - float(started[-1]["at"]), 3),
        "checks": checks,
        "cleanup": run.get("cleanup"),
    }
    return _result(name, _verdict(checks), evidence, f"LastUpdatedTime right after the update: {seen}")


def probe_invoke_bad_invocation_type(target: Target) -> ProbeResult:
    """(g) An ``Invoke`` of an existing function (the basic stack's recorder, while the stack exists) with an
    ``InvocationType`` outside the API's enum is refused with ``ValidationException``."""
    name = "invoke_bad_invocation_type"
    run, early = _basic_or_inconclusive(target, name)
    if early is not None:
        return early
    answer = run.get("bogus_invoke")
    if answer is None:
        why = "no Lambda client without parameter validation"
        return _result(name, "inconclusive", {"why": why, "cleanup": run.get("cleanup")}, why)
    checks = {"refused with ValidationException": answer.get("code") == "ValidationException"}
    evidence = {
        "InvocationType": BOGUS_INVOCATION_TYPE,
        "Invoke": answer,
        "checks": checks,
        "cleanup": run.get("cleanup"),
    }
    return _result(
        name, _verdict(checks), evidence, f"Invoke with InvocationType {BOGUS_INVOCATION_TYPE!r}: {answer['code']}"
    )


# -- (c) cancellation -------------------------------------------------------------------------------
def _cancelled_case(stack: ProbeStack, logical_id: str, request_type: str, resources: dict[str, Any]) -> dict[str, Any]:
    """Deploy ``resources`` (where ``logical_id`` is slow and ``Failing`` fails first); wait for the slow
    request's late answer; what was seen."""
    status = stack.deploy(resources)
    slow = [
        r
        for r in received(stack.records(), logical_id, request_type)
        if r["event"]["ResourceProperties"].get("Wait") == str(SLOW_S)
    ]
    rid = slow[0]["event"]["RequestId"] if slow else ""
    records = stack.wait_for(lambda rs: bool(answered(rs, rid)), SLOW_S + 120)
    late = answered(records, rid)
    return {"status": status, "request_id": rid, "records": records, "late": late[0] if late else None}


def probe_cancelled_requests_rolled_back(target: Target) -> ProbeResult:
    """(c) When a sibling fails while a custom resource's Create or Update is in progress, CloudFormation
    cancels it without waiting for its answer (the resource leaves ``*_IN_PROGRESS``: ``CREATE_FAILED`` /
    ``UPDATE_FAILED`` before the answer), sends the rollback (a Delete after the cancelled Create; an
    Update back to the old properties after the cancelled Update) before that answer, and ignores the late
    answer (its physical id never becomes the resource's)."""
    name = "cancelled_requests_rolled_back"
    evidence: dict[str, Any] = {}
    failing = recorder({"Fail": "true", "Wait": SIBLING_DELAY_S})
    with probe_stack(target, "cancel", evidence) as stack:
        created = stack.deploy({"Slow": recorder({"Version": "1", "PhysicalId": "slow-1"})})
        if created != "CREATE_COMPLETE":
            why = f"the stack ended {created}, not CREATE_COMPLETE"
            return _result(name, "inconclusive", evidence | {"why": why}, why)
        base = {"Slow": recorder({"Version": "1", "PhysicalId": "slow-1"})}
        create = _cancelled_case(
            stack,
            "Added",
            "Create",
            base | {"Added": recorder({"Wait": SLOW_S, "PhysicalId": "added-late"}), "Failing": failing},
        )
        update = _cancelled_case(
            stack,
            "Slow",
            "Update",
            {"Slow": recorder({"Version": "2", "Wait": SLOW_S, "PhysicalId": "slow-late"}), "Failing": failing},
        )
        events = stack.events()
        stack_name = stack.name
        final = stack.resource("Slow")
        last_status = stack.wait()
    checks: dict[str, bool] = {}
    for label, case, lid in (("Create", create, "Added"), ("Update", update, "Slow")):
        records, rid = case["records"], case["request_id"]
        late_at = float(case["late"]["at"]) if case["late"] else None
        sent = [r for r in received(records, lid, label) if r["event"]["RequestId"] == rid]
        sent_at = float(sent[0]["at"]) if sent else None
        failed = [
            e
            for e in events
            if e["logical_id"] == lid
            and e["status"] == f"{label.upper()}_FAILED"
            and sent_at is not None
            and float(e["at"]) >= sent_at - CLOCK_SKEW_S
        ]
        rollback_type = "Delete" if label == "Create" else "Update"
        rollbacks = [
            r for r in received(records, lid, rollback_type) if sent_at is not None and float(r["at"]) > sent_at
        ]
        if label == "Update":
            rollbacks = [
                r
                for r in rollbacks
                if r["event"]["ResourceProperties"].get("Version") == "1"
                and r["event"].get("OldResourceProperties", {}).get("Version") == "2"
            ]
        late_physical = "added-late" if label == "Create" else "slow-late"
        checks |= {
            f"{label}: the slow request was received": bool(sent),
            f"{label}: its late answer was given": late_at is not None,
            f"{label}: cancelled ({label.upper()}_FAILED) before the answer": bool(failed)
            and late_at is not None
            and float(failed[0]["at"]) < late_at,
            f"{label}: the rollback {rollback_type} came before the answer": bool(rollbacks)
            and late_at is not None
            and float(rollbacks[0]["at"]) < late_at,
            f"{label}: the stack rolled back": case["status"] == "UPDATE_ROLLBACK_COMPLETE",
            f"{label}: the late answer's physical id was never taken": not any(
                e["physical_id"] == late_physical and e["status"].endswith("_COMPLETE") for e in events
            ),
        }
        if label == "Update":
            # The handler tells the cancelled forward Update from the rollback's own by the stack's rollback start
            # (comprehend_cr.watch: sent a second or more before UPDATE_ROLLBACK_IN_PROGRESS = the forward one).
            began = [
                float(e["at"])
                for e in events
                if e["logical_id"] == stack_name
                and e["status"] == "UPDATE_ROLLBACK_IN_PROGRESS"
                and sent_at is not None
                and float(e["at"]) >= sent_at - CLOCK_SKEW_S
            ]
            forward_date = amz_date(sent[0]["event"]["ResponseURL"]) if sent else None
            rollback_date = amz_date(rollbacks[0]["event"]["ResponseURL"]) if rollbacks else None
            checks |= {
                "Update: the stack's rollback began a second or more after the cancelled Update's X-Amz-Date": bool(
                    began
                )
                and forward_date is not None
                and began[0] >= forward_date + 1.0,
                "Update: the rollback's own Update is dated (X-Amz-Date) no earlier than the rollback began, to the "
                "second": bool(began) and rollback_date is not None and rollback_date + 1.0 > began[0],
            }
            evidence["rollback_began"] = began[0] if began else None
        evidence[label] = {
            "status": case["status"],
            "slow_request": _brief(sent[0]) if sent else None,
            "cancelled_event": failed[0] if failed else None,
            "rollback_request": _brief(rollbacks[0]) if rollbacks else None,
            "late_answer": case["late"],
        }
    checks["Slow keeps slow-1 after both late answers"] = final.get("PhysicalResourceId") == "slow-1"
    checks["the stack stayed UPDATE_ROLLBACK_COMPLETE"] = last_status == "UPDATE_ROLLBACK_COMPLETE"
    evidence |= {"final_slow": final, "final_status": last_status, "checks": checks}
    return _result(name, _verdict(checks), evidence, f"rollbacks: {create['status']}, {update['status']}")


# -- (d) re-sent requests ---------------------------------------------------------------------------
def _resent_checks(label: str, deliveries: list[dict[str, Any]]) -> dict[str, bool]:
    urls = [str(r["event"]["ResponseURL"]) for r in deliveries]
    dates = [amz_date(u) for u in urls]
    ids = {r["event"]["RequestId"] for r in deliveries}
    return {
        f"{label}: two deliveries": len(deliveries) == 2,
        f"{label}: the same RequestId": len(deliveries) == 2 and len(ids) == 1,
        f"{label}: a new ResponseURL": len(set(urls)) == 2,
        f"{label}: a later X-Amz-Date": len(dates) == 2
        and dates[0] is not None
        and dates[1] is not None
        and dates[1] > dates[0],
    }


def probe_resent_request_same_id(target: Target) -> ProbeResult:
    """(d) A request CloudFormation sends again carries the same RequestId and a new ResponseURL (a later
    ``X-Amz-Date``): the Update of a deployment retried after it failed with rollback disabled
    (``UPDATE_FAILED``, as after ``cdk deploy --no-rollback``), and the rollback Update of a stack whose
    rollback failed (``UPDATE_ROLLBACK_FAILED``), continued with ContinueUpdateRollback."""
    name = "resent_request_same_id"
    evidence: dict[str, Any] = {}
    with probe_stack(target, "resend", evidence) as stack:
        created = stack.deploy({"Flaky": recorder({"Version": "1", "PhysicalId": "flaky-1"})})
        if created != "CREATE_COMPLETE":
            why = f"the stack ended {created}, not CREATE_COMPLETE"
            return _result(name, "inconclusive", evidence | {"why": why}, why)
        # the Update fails its first delivery: with rollback disabled the stack stays UPDATE_FAILED; retried
        flaky = {"Flaky": recorder({"Version": "2", "PhysicalId": "flaky-1", "FailFirst": "true"})}
        failed = stack.deploy(flaky, disable_rollback=True)
        target.clock.sleep(target.poll_s)  # a retry comes later: its X-Amz-Date can differ
        retried = stack.deploy(flaky, disable_rollback=True)
        # an Update that fails: its rollback (back to Version 2, which fails its first delivery) fails too
        broken = stack.deploy({"Flaky": recorder({"Version": "3", "PhysicalId": "flaky-1", "Fail": "true"})})
        target.clock.sleep(target.poll_s)
        continued = stack.continue_rollback()
        updates = received(stack.records(), "Flaky", "Update")
    retries = [r for r in updates if r["event"]["ResourceProperties"].get("Version") == "2"]
    forward = [r for r in retries if r["event"].get("OldResourceProperties", {}).get("Version") == "1"]
    rollbacks = [r for r in retries if r not in forward]  # back to Version 2, after Version 3 failed
    checks = {
        "retry: the first attempt ended UPDATE_FAILED": failed == "UPDATE_FAILED",
        "retry: the retried deployment ended UPDATE_COMPLETE": retried == "UPDATE_COMPLETE",
        **_resent_checks("retry", forward),
        "continue: the rollback ended UPDATE_ROLLBACK_FAILED": broken == "UPDATE_ROLLBACK_FAILED",
        "continue: the continued rollback ended UPDATE_ROLLBACK_COMPLETE": continued == "UPDATE_ROLLBACK_COMPLETE",
        **_resent_checks("continue", rollbacks),
    }
    evidence |= {
        "statuses": stack.statuses,
        "retried_update": [_brief(r) for r in forward],
        "continued_rollback": [_brief(r) for r in rollbacks],
        "checks": checks,
    }
    summary = f"retry after {failed}: {retried}; continued after {broken}: {continued}"
    return _result(name, _verdict(checks), evidence, summary)


DEPENDS_ON: dict[str, list[str]] = {
    "service_timeout_in_event": [
        f"{CLOUDFORMATION}: CloudFormation.submit and cfn_strings — the resource's deadline is the ServiceTimeout "
        "of the event's ResourceProperties, a string",
        "lambda/comprehend_cr/properties.py: service_timeout_or_default and the ServiceTimeout check read the "
        "timeout from ResourceProperties; lifecycle.py answers FAILED DEADLINE_MARGIN_S before it",
        f"{VERIFIED}: 'ServiceTimeout given in a custom resource's properties reaches the request in "
        "ResourceProperties, as a string'",
    ],
    "response_url_form": [
        f"{RECEIVER}: 'X-Amz-Date (the VIRTUAL time CloudFormation sent the request, UTC, whole seconds, rounded "
        "down), X-Amz-SignedHeaders=host, X-Amz-Expires=7200'",
        f"{DELIVERY}: 'its X-Amz-Date is when CloudFormation signed it, i.e. when it sent this delivery'",
        f"{WATCH}: NEWER_DELIVERY_S compares the resource's LastUpdatedTimestamp with X-Amz-Date",
        f"{VERIFIED}: 'the ResponseURL is a signature version 4 pre-signed S3 URL that signs only host'",
    ],
    "cancelled_requests_rolled_back": [
        f"{CLOUDFORMATION}: 'Assumed (the User Guide does not describe it for custom resources): when a sibling "
        "fails while a custom resource's Update is in progress, CloudFormation does not wait for that Update's "
        "answer'",
        f"{CFNSTACKS}: _timing — a template's failing sibling as the player's cancel_after_s and fail",
        "loopback/comprehend_loopback/stack.py: cancel_after_s, the rollback Update with the cancelled "
        "properties, a cancelled Create deleted under a made-up physical id",
        f"{WATCH}: 'the resource's status is another known status than the request's ... (cancelled: ... "
        "FAILED; answered by another delivery: ... COMPLETE)'",
        f"{VERIFIED}: 'CloudFormation cancels in-progress custom resources without waiting'",
        f"{WATCH}: 'an Update read while the stack rolls back was sent before the rollback began'",
        f"{VERIFIED}: 'a rollback begins with the stack's `UPDATE_ROLLBACK_IN_PROGRESS` event'",
    ],
    "resent_request_same_id": [
        f"{CLOUDFORMATION}: CloudFormation.resend — the same RequestId, a new delivery with a new ResponseURL",
        f"{CFNSTACKS}: DisableRollback and the next UpdateStack re-send the failed request; "
        "ContinueUpdateRollback re-sends the failed rollback Update (_Player.continue_rollback)",
        f"{DELIVERY}: 'CloudFormation may send the same request (same RequestId) more than once'",
        "lambda/comprehend_cr/runtime.py: 'One answer per delivery'",
    ],
    "cleanup_reads_current_resource": [
        f"{STACKS}: 'A DELETE_* status of another physical id than the resource's current one (the cleanup of "
        "a replaced id) leaves the resource as it is'",
        f"{CLOUDFORMATION}: CloudFormation._replaced_id_cleanup — the cleanup's Delete leaves the resource's status",
        f"{WATCH}: 'the resource went ... IN_PROGRESS more than NEWER_DELIVERY_S after this delivery was sent: a "
        "newer delivery'",
        f"{VERIFIED}: 'while CloudFormation deletes a replaced physical id in the cleanup, DescribeStackResource "
        "shows the resource's current physical id and status'",
    ],
    "stack_last_updated_time": [
        f"{STACKS}: 'assumed: it is the time of the latest change to an UPDATE_* status'",
        "loopback/comprehend_loopback/cfnquery.py: DescribeStacks answers LastUpdatedTime from the registry's "
        "last_updated_at",
        f"{VERIFIED}: 'LastUpdatedTime of a stack is the time of its latest change to an UPDATE_* status'",
    ],
    "invoke_bad_invocation_type": [
        "loopback/comprehend_loopback/server.py: 'A value outside the API's enum is refused with "
        "ValidationException (assumed: the API reference lists the enum, not the error)'",
        f"{VERIFIED}: 'an Invoke with an InvocationType outside the API's enum is refused with ValidationException'",
    ],
}
"""What relies on each CloudFormation probe's assumption, by probe name."""

PROBES = [
    probe_service_timeout_in_event,
    probe_response_url_form,
    probe_cleanup_reads_current_resource,
    probe_stack_last_updated_time,
    probe_invoke_bad_invocation_type,
    probe_cancelled_requests_rolled_back,
    probe_resent_request_same_id,
]
"""The CloudFormation probes, in the runner's order (after the endpoint probes: no endpoint bills meanwhile)."""
