"""What every probe works on: the account (or loopback world) under test, its clock, restricted clients, the
endpoint the probes share, and the clean-up that leaves nothing billing.

A probe never sleeps on its own: every wait goes through ``Target.clock`` (real ``time`` on AWS, the
loopback's virtual clock offline, where a 17-minute creation takes no real time).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from comprehend_cr import contract
from integ.probes import policies

Verdict = Literal["confirmed", "refuted", "inconclusive"]
BUSY = ("CREATING", "UPDATING")
DENIED = ("AccessDeniedException", "AccessDenied")
CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=10, read_timeout=60)
UNVALIDATED = CONFIG.merge(Config(parameter_validation=False))
"""CONFIG without botocore's client-side parameter validation: what is sent is what the service judges."""
POLL_S = 15.0
"""How often a wait describes an endpoint (real seconds on AWS)."""
CREATE_WAIT_S = 40 * 60
"""The longest a probe waits for an endpoint to leave CREATING or UPDATING, or to be gone."""
DELETE_WAIT_S = 20 * 60
"""The longest a probe waits for a deleted endpoint to be gone."""
PROPAGATION_S = 90.0
"""How long a freshly made role may be refused (IAM is eventually consistent) before a refusal counts."""


@dataclass
class ProbeResult:
    """One probe's answer: whether the behaviour the project assumes holds, with what was seen."""

    name: str
    verdict: Verdict
    evidence: dict[str, Any]
    depends_on: list[str]
    """What relies on the assumption (loopback rule, handler behaviour, README line): what must change
    when the probe is refuted."""
    summary: str = ""
    seconds: float = 0.0


@dataclass(frozen=True)
class Answer:
    """The outcome of one API call: ``code`` is ``OK`` or the error code."""

    code: str
    http: int | None
    message: str = ""
    response: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.code == "OK"

    def brief(self) -> dict[str, Any]:
        """The evidence form: code, HTTP status and the start of the message."""
        return {"code": self.code, "http": self.http, **({"message": self.message[:200]} if self.message else {})}


def call(operation: Callable[..., Any], **kwargs: Any) -> Answer:
    """Make one API call and keep its outcome, refusals included, instead of raising."""
    try:
        response = operation(**kwargs)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return Answer(str(error.get("Code", "Unknown")), status, str(error.get("Message", "")))
    metadata = response.get("ResponseMetadata", {}) if isinstance(response, dict) else {}
    body = {k: v for k, v in response.items() if k != "ResponseMetadata"} if isinstance(response, dict) else {}
    return Answer("OK", metadata.get("HTTPStatusCode", 200), response=body)


class Clock(Protocol):
    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class RealClock:
    """Wall-clock time, for a real account."""

    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class Principals(Protocol):
    """Makes (and removes) principals held to a given identity policy."""

    def make(self, name: str, policy: policies.Policy) -> Any:
        """A Comprehend client signed as a new principal ``name`` that has only ``policy``."""
        ...

    def remove(self, name: str) -> None: ...

    def remaining(self, prefix: str) -> list[str]:
        """The principals whose name starts with ``prefix`` that still exist."""
        ...


class AwsRoles:
    """On a real account: an IAM role with ``policy`` inline, trusted by the account, assumed through STS."""

    def __init__(self, session: boto3.session.Session, account: str, region: str, clock: Clock) -> None:
        self._iam: Any = session.client("iam", config=CONFIG)
        self._sts: Any = session.client("sts", region_name=region, config=CONFIG)
        self._session, self._account, self._region, self._clock = session, account, region, clock
        self._partition = session.get_partition_for_region(region)

    def make(self, name: str, policy: policies.Policy) -> Any:
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:{self._partition}:iam::{self._account}:root"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        role = self._iam.create_role(
            RoleName=name,
            AssumeRolePolicyDocument=json.dumps(trust),
            Description="cdk-comprehend-endpoint probe (deleted by the probe)",
            MaxSessionDuration=3600,
        )["Role"]
        self._iam.put_role_policy(RoleName=name, PolicyName="probe", PolicyDocument=json.dumps(policy))
        deadline = self._clock.now() + PROPAGATION_S
        while True:  # a new role cannot be assumed for a few seconds
            self._clock.sleep(10)
            try:
                credentials = self._sts.assume_role(RoleArn=role["Arn"], RoleSessionName=name[:64])["Credentials"]
                break
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") not in DENIED or self._clock.now() > deadline:
                    raise
        return boto3.session.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
            region_name=self._region,
        ).client("comprehend", config=CONFIG)

    def remove(self, name: str) -> None:
        for operation, kwargs in (
            (self._iam.delete_role_policy, {"RoleName": name, "PolicyName": "probe"}),
            (self._iam.delete_role, {"RoleName": name}),
        ):
            answer = call(operation, **kwargs)
            if not answer.ok and answer.code != "NoSuchEntity":
                raise RuntimeError(f"could not delete the probe role {name}: {answer.code} {answer.message}")

    def remaining(self, prefix: str) -> list[str]:
        names: list[str] = []
        for page in self._iam.get_paginator("list_roles").paginate():
            names += [r["RoleName"] for r in page["Roles"] if r["RoleName"].startswith(prefix)]
        return names


class LoopbackPrincipals:
    """Offline: a principal registered in the loopback world (``LoopbackAws.register_principal``), signing
    with its own access key; the world evaluates its policy on every call."""

    def __init__(self, aws: Any, region: str, account: str, endpoint_url: str | None = None) -> None:
        self._aws, self._region, self._account, self._url = aws, region, account, endpoint_url

    def make(self, name: str, policy: policies.Policy) -> Any:
        principal = self._aws.register_principal(name, f"arn:aws:iam::{self._account}:role/{name}")
        principal.policies = {"probe": policy}
        session = boto3.session.Session(
            aws_access_key_id=name,
            aws_secret_access_key="loopback",  # noqa: S106 - the loopback checks no signature
            region_name=self._region,
        )
        return session.client("comprehend", endpoint_url=self._url, config=CONFIG)

    def remove(self, name: str) -> None:
        with self._aws.lock:
            self._aws.principals.pop(name, None)

    def remaining(self, prefix: str) -> list[str]:
        with self._aws.lock:
            return [key for key in self._aws.principals if key.startswith(prefix)]


class Recordings(Protocol):
    """Where the probes' recorder function writes what it receives and answers (``integ/probes/cfn.py``):
    an S3 bucket on an account, memory offline."""

    def prepare(self) -> str:
        """Make the store if needed; the name the recorder is given (its ``BUCKET``)."""
        ...

    def records(self, stack_name: str) -> list[dict[str, Any]]:
        """What the recorder wrote for one stack, oldest first."""
        ...

    def remove(self) -> None:
        """Delete the store and everything in it."""
        ...

    def remaining(self) -> list[str]:
        """What of the store still exists."""
        ...


@dataclass
class SharedEndpoint:
    """The one endpoint most probes share (endpoints bill per second: as few as possible)."""

    arn: str
    name: str
    token: str
    request: dict[str, Any]
    """The CreateEndpoint request that made it (the token probes replay it)."""
    created_at: float
    creation: dict[str, Any]
    """How it was created: by the create-only role, or by the caller when that role was refused."""


@dataclass
class Target:
    """The account or world under test and everything the probes need to act on it."""

    comprehend: Any
    """The caller's own (unrestricted) Comprehend client."""
    principals: Principals
    clock: Clock
    model_arn: str
    prefix: str
    other_model_arn: str | None = None
    """A trained model of the other type (classifier vs recognizer): the type probes need it."""
    failing_model_arn: str | None = None
    """A model whose endpoints end FAILED: the FAILED-endpoint probe needs it."""
    flywheel_arn: str | None = None
    """A flywheel whose active model is of the model's type: the flywheel probes need it."""
    poll_s: float = POLL_S
    shared: SharedEndpoint | None = None
    lost: list[str] = field(default_factory=list)
    """Shared endpoints a probe deleted by surprise (see ``lost_if_deleted``)."""
    shared_error: str = ""
    """Why the shared endpoint could not be created (the probes that need it then stop at once)."""
    observed: list[tuple[str, list[str]]] = field(default_factory=list)
    """(Status, sorted field names) of every DescribeEndpoint answer the probes received."""
    cloudformation: Any = None
    """The caller's CloudFormation client (the CloudFormation probes' stacks)."""
    recordings: Recordings | None = None
    """Where the CloudFormation probes' recorder writes (None: those probes are inconclusive)."""
    runs: dict[str, Any] = field(default_factory=dict)
    """Stack runs several probes read (run once, kept by name)."""
    unvalidated_comprehend: Any = None
    """The caller's Comprehend client without botocore's parameter validation: a request that breaks the
    service model reaches the service (None: the probe of such requests is inconclusive)."""
    unvalidated_lambda: Any = None
    """The caller's Lambda client without botocore's parameter validation (None: the Invoke probe is
    inconclusive)."""
    autoscaling: Any = None
    """The caller's Application Auto Scaling client (None: the autoscaling probe is inconclusive)."""
    servicequotas: Any = None
    """The caller's Service Quotas client (None: the quota probe is inconclusive)."""
    quota_max_units: int = 0
    """The largest regional inference-unit quota the quota probe may fill (``QUOTA_PROBE_MAX_UNITS``; filling
    it bills every unit for about 25 minutes): 0 skips that probe (inconclusive, with the quota read)."""

    # -- identity ---------------------------------------------------------------------------------
    @property
    def partition(self) -> str:
        return self.model_arn.split(":")[1]

    @property
    def region(self) -> str:
        return self.model_arn.split(":")[3]

    @property
    def account(self) -> str:
        return self.model_arn.split(":")[4]

    @property
    def stack_id(self) -> str:
        """The CloudFormation stack id the probes' endpoints carry in their ownership tag (no such stack)."""
        return f"arn:{self.partition}:cloudformation:{self.region}:{self.account}:stack/{self.prefix}/probe"

    def endpoint_arn(self, name: str, model_arn: str | None = None) -> str:
        """The ARN an endpoint of ``name`` serving ``model_arn`` (default: the model) gets."""
        return (
            f"arn:{self.partition}:comprehend:{self.region}:{self.account}:{kind(model_arn or self.model_arn)}/{name}"
        )

    def owner_tags(self, stack_id: str | None = None) -> list[dict[str, str]]:
        """The ownership tags the handler writes, for the probes' (non-existent) stack."""
        return [
            {"Key": contract.STACK_TAG, "Value": stack_id or self.stack_id},
            {"Key": contract.RESOURCE_TAG, "Value": "Probe"},
        ]

    def construct_policy(self, stack_id: str | None = None) -> policies.Policy:
        return policies.construct_policy(self.partition, self.region, self.account, stack_id or self.stack_id)

    # -- restricted clients ----------------------------------------------------------------------
    @contextmanager
    def restricted(
        self, label: str, policy: policies.Policy, warm_up: Callable[[Any], Any] | None = None
    ) -> Iterator[Any]:
        """A Comprehend client held to ``policy`` alone, removed afterwards. ``warm_up`` (a call the policy
        allows) is retried while it is refused, for up to ``PROPAGATION_S`` (IAM is eventually consistent);
        still refused then, the role is not usable and this raises (the probe is inconclusive)."""
        name = f"{self.prefix}-{label}"[:64]
        try:
            client = self.principals.make(name, policy)
            if warm_up is not None:
                deadline = self.clock.now() + PROPAGATION_S
                while (answer := call(warm_up, client=client)).code in DENIED:
                    if self.clock.now() >= deadline:
                        raise RuntimeError(
                            f"the role {name} was still refused a call its policy allows after {PROPAGATION_S:.0f} s "
                            f"({answer.code}): its policy is not in effect, so its refusals would prove nothing"
                        )
                    self.clock.sleep(5)
            yield client
        finally:
            self.principals.remove(name)

    # -- endpoints -------------------------------------------------------------------------------
    def describe(self, arn: str, client: Any | None = None) -> Answer:
        """DescribeEndpoint, noting which fields each status comes with."""
        answer = call((client or self.comprehend).describe_endpoint, EndpointArn=arn)
        if answer.ok:
            props = answer.response["EndpointProperties"]
            self.observed.append((str(props.get("Status")), sorted(props)))
        return answer

    def status(self, arn: str) -> str:
        """The endpoint's status, ``GONE`` once DescribeEndpoint no longer finds it."""
        answer = self.describe(arn)
        if answer.code == "ResourceNotFoundException":
            return "GONE"
        if not answer.ok:
            raise RuntimeError(f"DescribeEndpoint {arn}: {answer.code} {answer.message}")
        return str(answer.response["EndpointProperties"]["Status"])

    def wait_while(self, arn: str, statuses: tuple[str, ...], timeout_s: float = CREATE_WAIT_S) -> str:
        """Describe every ``poll_s`` while the endpoint's status is one of ``statuses``; the status it left
        them for (or the last one seen at the timeout)."""
        deadline = self.clock.now() + timeout_s
        while (status := self.status(arn)) in statuses and self.clock.now() < deadline:
            self.clock.sleep(self.poll_s)
        return status

    def shared_endpoint(self) -> SharedEndpoint:
        """The shared endpoint (1 inference unit), created on first use with the ownership tags, by a
        role that may only call CreateEndpoint on it and its model (falling back to the caller's own
        client when that role is refused, noted in ``creation``)."""
        if self.shared is not None:
            return self.shared
        if self.shared_error:
            raise RuntimeError(f"the shared endpoint could not be created earlier: {self.shared_error}")
        name = f"{self.prefix}-shared{len(self.lost) or ''}"
        arn = self.endpoint_arn(name)
        request = {
            "EndpointName": name,
            "ModelArn": self.model_arn,
            "DesiredInferenceUnits": 1,
            "ClientRequestToken": f"{name}-token",
            "Tags": self.owner_tags(),
        }
        creation: dict[str, Any] = {"attempts": []}
        try:
            with self.restricted("create-only", policies.create_only(arn, self.model_arn), policies.listed) as client:
                deadline = self.clock.now() + PROPAGATION_S
                while True:
                    answer = call(client.create_endpoint, **request)
                    creation["attempts"].append(answer.brief())
                    if answer.code not in DENIED or self.clock.now() >= deadline:
                        break
                    self.clock.sleep(10)
        except Exception as exc:  # no role, no endpoint: the probes that need it stop at once
            self.shared_error = f"the create-only role could not be used: {type(exc).__name__}: {exc}"
            raise
        creation["by"] = "create-only role"
        if not answer.ok:
            creation["restricted_refusal"] = answer.brief()
            creation["by"] = "caller"
            answer = call(self.comprehend.create_endpoint, **request)
            if not answer.ok:
                self.shared_error = f"{answer.code} {answer.message}"
                raise RuntimeError(f"CreateEndpoint of the shared endpoint: {answer.code} {answer.message}")
        self.shared = SharedEndpoint(
            str(answer.response["EndpointArn"]),
            name,
            str(request["ClientRequestToken"]),
            request,
            self.clock.now(),
            creation,
        )
        return self.shared

    def lost_if_deleted(self, answer: Answer) -> None:
        """After a DeleteEndpoint of the shared endpoint that a probe expected to be refused: when it was
        accepted, the next probe gets a new shared endpoint (another name and token) instead of a deleted
        one, which would refute the later probes for the wrong reason (the old one is removed at the end)."""
        if answer.ok and self.shared is not None:
            self.lost.append(self.shared.arn)
            self.shared = None

    def release_shared(self) -> dict[str, Any]:
        """Delete the shared endpoint (waiting out any change first) and wait until it is gone."""
        if self.shared is None:
            return {"deleted": [], "left": []}
        result = self.remove_endpoints([self.shared.arn])
        self.shared = None
        return result

    def remove_endpoints(self, arns: list[str]) -> dict[str, Any]:
        """Delete each endpoint once it is neither CREATING nor UPDATING, wait until it is gone, then check
        with a last ListEndpoints that none of them is left."""
        deleted: list[str] = []
        errors: dict[str, dict[str, Any]] = {}
        for arn in dict.fromkeys(arns):
            deadline = self.clock.now() + CREATE_WAIT_S
            while self.wait_while(arn, BUSY) != "GONE":
                answer = call(self.comprehend.delete_endpoint, EndpointArn=arn)
                if answer.ok:
                    deleted.append(arn)
                    self.wait_while(arn, ("DELETING", "IN_SERVICE", "FAILED", *BUSY), DELETE_WAIT_S)
                    break
                if answer.code != "ResourceInUseException" or self.clock.now() >= deadline:
                    errors[arn] = answer.brief()
                    break
                self.clock.sleep(self.poll_s)
        listed = {item["EndpointArn"] for item in self.list_endpoints()}
        return {"deleted": deleted, "left": sorted(set(arns) & listed), **({"errors": errors} if errors else {})}

    def list_endpoints(self) -> list[dict[str, Any]]:
        """Every endpoint of the account and region (all pages)."""
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {}
        while True:
            page = self.comprehend.list_endpoints(**kwargs)
            items += page.get("EndpointPropertiesList", [])
            if not page.get("NextToken"):
                return items
            kwargs["NextToken"] = page["NextToken"]

    def leftovers(self) -> dict[str, list[str]]:
        """Everything the probes made that still exists: endpoints whose name has the prefix, roles, stacks,
        records, and scalable targets of the prefix's endpoints."""
        endpoints = [
            str(item["EndpointArn"])
            for item in self.list_endpoints()
            if str(item["EndpointArn"]).rsplit("/", 1)[-1].startswith(self.prefix)
        ]
        return {
            "endpoints": endpoints,
            "roles": self.principals.remaining(self.prefix),
            "stacks": self.stacks(),
            "records": self.recordings.remaining() if self.recordings is not None else [],
            "scalable_targets": self.scalable_targets(),
        }

    def scalable_targets(self) -> list[str]:
        """The Application Auto Scaling targets (Comprehend namespace) of endpoints whose name has the prefix."""
        if self.autoscaling is None:
            return []
        pages = self.autoscaling.get_paginator("describe_scalable_targets").paginate(ServiceNamespace="comprehend")
        return [
            str(t["ResourceId"])
            for page in pages
            for t in page.get("ScalableTargets", [])
            if str(t["ResourceId"]).rsplit("/", 1)[-1].startswith(self.prefix)
        ]

    def stacks(self) -> list[str]:
        """The ids of the stacks whose name has the prefix that are not deleted (all pages)."""
        if self.cloudformation is None:
            return []
        ids: list[str] = []
        kwargs: dict[str, Any] = {}
        while True:
            page = self.cloudformation.describe_stacks(**kwargs)
            ids += [
                str(s["StackId"])
                for s in page.get("Stacks", [])
                if str(s["StackName"]).startswith(self.prefix) and s.get("StackStatus") != "DELETE_COMPLETE"
            ]
            if not page.get("NextToken"):
                return ids
            kwargs["NextToken"] = page["NextToken"]

    def close(self) -> dict[str, list[str]]:
        """Remove the shared endpoint and anything else with the prefix; what is still left afterwards."""
        self.release_shared()
        left = self.leftovers()
        if left["endpoints"]:
            self.remove_endpoints(left["endpoints"])
        for role in left["roles"]:
            self.principals.remove(role)
        for resource_id in left["scalable_targets"]:
            dimension = f"comprehend:{resource_id.split(':')[5].split('/')[0]}:DesiredInferenceUnits"
            self.autoscaling.deregister_scalable_target(
                ServiceNamespace="comprehend", ResourceId=resource_id, ScalableDimension=dimension
            )
        for stack_id in left["stacks"]:
            delete_stack(self, stack_id)
        if self.recordings is not None and left["records"]:
            self.recordings.remove()
        return self.leftovers()


def delete_stack(target: Target, stack_id: str) -> str:
    """DeleteStack, then wait (``poll_s``) until the stack is ``DELETE_COMPLETE``; its last status."""
    target.cloudformation.delete_stack(StackName=stack_id)
    deadline = target.clock.now() + DELETE_WAIT_S
    while True:
        answer = call(target.cloudformation.describe_stacks, StackName=stack_id)
        if not answer.ok:
            return "DELETE_COMPLETE" if answer.code == "ValidationError" else answer.code
        status = str(answer.response["Stacks"][0]["StackStatus"])
        if not status.endswith("_IN_PROGRESS") or target.clock.now() >= deadline:
            if status == "DELETE_FAILED" and target.clock.now() < deadline:
                target.cloudformation.delete_stack(StackName=stack_id)
            else:
                return status
        target.clock.sleep(target.poll_s)


def kind(model_arn: str) -> str:
    """The endpoint type (ARN resource type) of a model's endpoints."""
    return "entity-recognizer-endpoint" if ":entity-recognizer/" in model_arn else "document-classifier-endpoint"


def admin_target(
    session: boto3.session.Session,
    *,
    model_arn: str,
    prefix: str,
    clock: Clock,
    principals: Principals | None = None,
    endpoint_url: str | None = None,
    other_model_arn: str | None = None,
    failing_model_arn: str | None = None,
    recordings: Recordings | None = None,
    flywheel_arn: str | None = None,
    quota_max_units: int = 0,
) -> Target:
    """A target on ``session``'s account in the model's region (roles through IAM and STS by default, the
    recorder's records in an S3 bucket named for the prefix by default)."""
    region = model_arn.split(":")[3]
    comprehend = session.client("comprehend", region_name=region, endpoint_url=endpoint_url, config=CONFIG)
    if recordings is None:
        from integ.probes.cfn import S3Recordings  # the CloudFormation probes' module imports this one

        recordings = S3Recordings(session, prefix, region, model_arn.split(":")[4], clock)
    return Target(
        comprehend=comprehend,
        cloudformation=session.client("cloudformation", region_name=region, endpoint_url=endpoint_url, config=CONFIG),
        recordings=recordings,
        principals=principals or AwsRoles(session, model_arn.split(":")[4], region, clock),
        clock=clock,
        model_arn=model_arn,
        prefix=prefix,
        other_model_arn=other_model_arn,
        failing_model_arn=failing_model_arn,
        flywheel_arn=flywheel_arn,
        unvalidated_comprehend=session.client(
            "comprehend", region_name=region, endpoint_url=endpoint_url, config=UNVALIDATED
        ),
        unvalidated_lambda=session.client("lambda", region_name=region, endpoint_url=endpoint_url, config=UNVALIDATED),
        autoscaling=session.client(
            "application-autoscaling", region_name=region, endpoint_url=endpoint_url, config=CONFIG
        ),
        servicequotas=session.client("service-quotas", region_name=region, endpoint_url=endpoint_url, config=CONFIG),
        quota_max_units=quota_max_units,
    )
