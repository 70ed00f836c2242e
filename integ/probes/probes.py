"""One probe per behaviour the project assumes of AWS where the documentation is silent.

Each ``probe_xxx(target)`` makes the real calls that confirm or refute one behaviour, deletes in a
``finally`` whatever it created (verified by a last ListEndpoints) and returns a :class:`ProbeResult`:
``confirmed`` when AWS behaves as the loopback world (``loopback/comprehend_loopback``) models it,
``refuted`` when it does not, ``inconclusive`` when the account cannot show it (a model is missing, the
endpoint was not in the status the probe needs). ``depends_on`` names the loopback rule, the handler
behaviour and the README line that must change when the probe is refuted.

``PROBES`` is the order the runner follows: the probes that need the shared endpoint CREATING come first
(right after it is created), the ones that create endpoints of their own next (their waits overlap the
shared endpoint's creation), then the ones that need it IN_SERVICE or UPDATING, then the one that
deletes it, and last the CloudFormation probes (``cfn.py``: tiny stacks, no endpoint, so nothing bills
while they run).
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable
from typing import Any

from comprehend_cr import contract
from integ.probes import cfn, policies
from integ.probes.target import BUSY, CREATE_WAIT_S, DENIED, Answer, ProbeResult, Target, Verdict, call, kind

LAG_LIMIT_S = 60.0
"""How long after an accepted UpdateEndpoint the change may stay invisible: the handler compares values,
not only statuses, and the lifecycle tests make the lag a minute long."""
LAG_POLL_S = 1.0
LIST_PAGE = 100
"""The ListEndpoints page size the loopback assumes when MaxResults is not given."""
TAG_LIMITS = (128, 256)
"""Tag key and value lengths the loopback accepts (the API model's); the developer guide says 127/255."""

SCALING_POLL_S = 5.0
"""How often the autoscaling and quota probes describe an endpoint while they wait (at most one call per 5 s)."""
SCHEDULE_AHEAD_S = 60.0
"""How far ahead the autoscaling probe schedules its one-time action."""
SCHEDULE_WAIT_S = 5 * 60.0
"""How long after its time the scheduled action may take to change the endpoint's desired units."""
QUOTA_SERVICE = "comprehend"
QUOTA_CODES = {
    "units per region": "L-2A73DEBC",
    "units per endpoint": "L-70EC2949",
    "endpoints": "L-55642075",
}
"""Service Quotas codes of the Comprehend endpoint quotas ("Endpoints max inference units per account",
"... per endpoint", "Endpoints max active endpoints"): the developer guide names the quotas only; the codes
are those ListServiceQuotas lists (the probe reports what it read, so a wrong code shows as inconclusive)."""
QUOTA_FILL_MINUTES = 25
"""How long the quota probe's filler endpoints bill: created (about 20 minutes) before they can be deleted
(about 5)."""
PRICE_PER_UNIT_SECOND = 0.0005
"""List price of an inference unit per second (60 s minimum per endpoint); it may differ by region."""

COMPREHEND = "loopback/comprehend_loopback/comprehend.py"
SERVER = "loopback/comprehend_loopback/server.py"
LIFECYCLE = "lambda/comprehend_cr/lifecycle.py"
README = "docs/verification.md (What was, and was not, verified)"

Probe = Callable[[Target], ProbeResult]


def _result(name: str, verdict: Verdict, evidence: dict[str, Any], depends_on: list[str], summary: str) -> ProbeResult:
    """The result; the summary names the checks that failed, if any."""
    failed = [check for check, held in evidence.get("checks", {}).items() if not held]
    if failed:
        summary = f"{summary}; not as assumed: {', '.join(failed)}"
    return ProbeResult(name, verdict, evidence, depends_on, summary)


def _verdict(checks: dict[str, bool]) -> Verdict:
    return "confirmed" if all(checks.values()) else "refuted"


# -- CreateEndpoint ---------------------------------------------------------------------------------
def probe_create_with_tags_needs_no_tag_permission(target: Target) -> ProbeResult:
    """CreateEndpoint with Tags succeeds for a role allowed only comprehend:CreateEndpoint (on the endpoint
    and the model), and the endpoint carries the tags. Creates the shared endpoint."""
    depends_on = DEPENDS_ON["create_with_tags_needs_no_tag_permission"]
    shared = target.shared_endpoint()
    tags = call(target.comprehend.list_tags_for_resource, ResourceArn=shared.arn)
    got = {t["Key"]: t.get("Value", "") for t in tags.response.get("Tags", [])} if tags.ok else {}
    wanted = {t["Key"]: t["Value"] for t in shared.request["Tags"]}
    evidence = {**shared.creation, "tags": got, "list_tags": tags.brief()}
    checks = {"created by the create-only role": shared.creation["by"] == "create-only role", "tagged": got == wanted}
    evidence["checks"] = checks
    return _result(
        "create_with_tags_needs_no_tag_permission",
        _verdict(checks),
        evidence,
        depends_on,
        f"CreateEndpoint with Tags by a CreateEndpoint-only role: {shared.creation['attempts'][-1]['code']}",
    )


# -- IAM tag condition ------------------------------------------------------------------------------
def probe_tag_condition_enforced(target: Target) -> ProbeResult:
    """Under the construct's policy every endpoint action it uses (Describe, ListTags, Tag, Untag, Update,
    Delete) is allowed on an endpoint whose stack-id tag is the policy's stack, refused (AccessDenied) on
    one tagged for another stack, and the ownership keys cannot be tagged or untagged. Update and Delete
    are tried while the shared endpoint is CREATING, so an allowed one is refused by the service
    (ResourceInUseException) and changes nothing; if it is no longer busy they are left out (inconclusive)."""
    depends_on = DEPENDS_ON["tag_condition_enforced"]
    shared = target.shared_endpoint()
    other_stack = target.stack_id.replace(f"stack/{target.prefix}/", f"stack/{target.prefix}-other/")
    key = f"{target.prefix}-probe"

    def actions(client: Any, busy: bool) -> dict[str, Answer]:
        answers = {
            "DescribeEndpoint": call(client.describe_endpoint, EndpointArn=shared.arn),
            "ListTagsForResource": call(client.list_tags_for_resource, ResourceArn=shared.arn),
            "TagResource": call(client.tag_resource, ResourceArn=shared.arn, Tags=[{"Key": key, "Value": "1"}]),
            "UntagResource": call(client.untag_resource, ResourceArn=shared.arn, TagKeys=[key]),
        }
        if busy:
            answers["UpdateEndpoint"] = call(client.update_endpoint, EndpointArn=shared.arn, DesiredInferenceUnits=1)
            answers["DeleteEndpoint"] = call(client.delete_endpoint, EndpointArn=shared.arn)
            target.lost_if_deleted(answers["DeleteEndpoint"])
        return answers

    def warm_up(client: Any) -> Any:
        return client.describe_endpoint(EndpointArn=shared.arn)

    with target.restricted("own-stack", target.construct_policy(), warm_up) as own:
        busy = target.status(shared.arn) in BUSY
        mine = actions(own, busy)
        ownership = {
            "TagResource(ownership key)": call(
                own.tag_resource, ResourceArn=shared.arn, Tags=[{"Key": contract.RESOURCE_TAG, "Value": "Probe"}]
            ),
            "UntagResource(ownership key)": call(
                own.untag_resource, ResourceArn=shared.arn, TagKeys=[contract.RESOURCE_TAG]
            ),
        }

    with target.restricted("other-stack", target.construct_policy(other_stack), policies.listed) as other:
        theirs = actions(other, busy)
    checks = {f"own stack: {a} allowed": r.code not in DENIED for a, r in mine.items()}
    checks |= {f"own stack: {a} refused": r.code in DENIED for a, r in ownership.items()}
    checks |= {f"other stack: {a} refused": r.code in DENIED for a, r in theirs.items()}
    evidence: dict[str, Any] = {
        "shared_endpoint_busy": busy,
        "own_stack": {a: r.brief() for a, r in mine.items()},
        "ownership_keys": {a: r.brief() for a, r in ownership.items()},
        "other_stack": {a: r.brief() for a, r in theirs.items()},
        "checks": checks,
    }
    verdict = _verdict(checks)
    if verdict == "confirmed" and not busy:
        verdict = "inconclusive"
        evidence["why"] = "the shared endpoint was no longer CREATING: Update/Delete were not tried"
    return _result(
        "tag_condition_enforced",
        verdict,
        evidence,
        depends_on,
        "the construct's aws:ResourceTag condition on every action",
    )


def probe_missing_endpoint_access_denied(target: Target) -> ProbeResult:
    """Under the construct's tag condition a call on an endpoint that does not exist answers
    AccessDeniedException (IAM decides before the service looks it up), while the caller's own client
    gets ResourceNotFoundException for it."""
    depends_on = DEPENDS_ON["missing_endpoint_access_denied"]
    shared = target.shared_endpoint()
    missing = target.endpoint_arn(f"{target.prefix}-missing")

    def warm_up(client: Any) -> Any:
        return client.describe_endpoint(EndpointArn=shared.arn)

    with target.restricted("missing", target.construct_policy(), warm_up) as own:
        restricted = {
            "DescribeEndpoint": call(own.describe_endpoint, EndpointArn=missing),
            "DeleteEndpoint": call(own.delete_endpoint, EndpointArn=missing),
            "ListTagsForResource": call(own.list_tags_for_resource, ResourceArn=missing),
        }
    unrestricted = call(target.comprehend.describe_endpoint, EndpointArn=missing)
    checks = {f"{a} AccessDenied": r.code in DENIED for a, r in restricted.items()}
    checks["caller's DescribeEndpoint ResourceNotFound"] = unrestricted.code == "ResourceNotFoundException"
    evidence = {
        "endpoint": missing,
        "restricted": {a: r.brief() for a, r in restricted.items()},
        "unrestricted": unrestricted.brief(),
        "checks": checks,
    }
    return _result(
        "missing_endpoint_access_denied",
        _verdict(checks),
        evidence,
        depends_on,
        f"missing endpoint under the condition: {restricted['DescribeEndpoint'].code}",
    )


def probe_create_authorized_per_resource(target: Target) -> ProbeResult:
    """CreateEndpoint is authorized on the endpoint's ARN and on the model's, each on its own: a role allowed
    only one of them is refused (AccessDenied), a role allowed both is let through to the service. The
    request names the shared endpoint's name (with a new token), so a request let through is refused by the
    service (ResourceInUseException) and nothing is created."""
    depends_on = DEPENDS_ON["create_authorized_per_resource"]
    shared = target.shared_endpoint()
    request = {**shared.request, "ClientRequestToken": f"{target.prefix}-per-resource"}
    grants = {
        "endpoint and model": (shared.arn, target.model_arn),
        "endpoint only": (shared.arn,),
        "model only": (target.model_arn,),
    }
    answers: dict[str, Answer] = {}
    made: list[str] = []
    evidence: dict[str, Any] = {}
    try:
        for label, resources in grants.items():
            role = f"create-{label.split()[0]}-{len(answers)}"
            with target.restricted(role, policies.create_only(*resources), policies.listed) as client:
                answers[label] = call(client.create_endpoint, **request)
            if answers[label].ok and answers[label].response.get("EndpointArn") != shared.arn:
                made.append(str(answers[label].response["EndpointArn"]))
        checks = {
            "endpoint and model: let through (ResourceInUse)": answers["endpoint and model"].code
            == "ResourceInUseException",
            "endpoint only: AccessDenied": answers["endpoint only"].code in DENIED,
            "model only: AccessDenied": answers["model only"].code in DENIED,
        }
        evidence |= {label: a.brief() for label, a in answers.items()} | {"checks": checks}
        return _result(
            "create_authorized_per_resource",
            _verdict(checks),
            evidence,
            depends_on,
            ", ".join(f"{label}: {a.code}" for label, a in answers.items()),
        )
    finally:
        if made:
            evidence["cleanup"] = target.remove_endpoints(made)


# -- busy endpoints -------------------------------------------------------------------------------
def _busy_refusals(target: Target, name: str, status: str) -> ProbeResult:
    depends_on = DEPENDS_ON[name]
    shared = target.shared_endpoint()
    seen = target.status(shared.arn)
    if seen != status:
        return _result(
            name, "inconclusive", {"status": seen, "why": f"the shared endpoint was not {status}"}, depends_on, ""
        )
    update = call(target.comprehend.update_endpoint, EndpointArn=shared.arn, DesiredInferenceUnits=1)
    delete = call(target.comprehend.delete_endpoint, EndpointArn=shared.arn)
    target.lost_if_deleted(delete)
    checks = {
        "UpdateEndpoint ResourceInUse": update.code == "ResourceInUseException",
        "DeleteEndpoint ResourceInUse": delete.code == "ResourceInUseException",
    }
    evidence = {"status": seen, "UpdateEndpoint": update.brief(), "DeleteEndpoint": delete.brief(), "checks": checks}
    return _result(
        name, _verdict(checks), evidence, depends_on, f"while {status}: update {update.code}, delete {delete.code}"
    )


def probe_busy_refusals_while_creating(target: Target) -> ProbeResult:
    """UpdateEndpoint and DeleteEndpoint on a CREATING endpoint answer ResourceInUseException."""
    return _busy_refusals(target, "busy_refusals_while_creating", "CREATING")


def probe_busy_refusals_while_updating(target: Target) -> ProbeResult:
    """UpdateEndpoint and DeleteEndpoint on an UPDATING endpoint answer ResourceInUseException (run right
    after ``probe_update_status_lag``, which leaves the shared endpoint UPDATING)."""
    return _busy_refusals(target, "busy_refusals_while_updating", "UPDATING")


# -- ClientRequestToken ---------------------------------------------------------------------------


def probe_token_replay_same_name(target: Target) -> ProbeResult:
    """CreateEndpoint again with the shared endpoint's token and request returns the same ARN, creating
    nothing."""
    shared = target.shared_endpoint()
    before = {i["EndpointArn"] for i in target.list_endpoints()}
    evidence: dict[str, Any] = {}
    made: list[str] = []
    try:
        answer = call(target.comprehend.create_endpoint, **shared.request)
        made += sorted({i["EndpointArn"] for i in target.list_endpoints()} - before)
        checks = {
            "accepted": answer.ok,
            "same ARN": answer.response.get("EndpointArn") == shared.arn,
            "nothing new": not made,
        }
        evidence |= {"replay": answer.brief(), "arn": answer.response.get("EndpointArn"), "new": made}
        evidence["checks"] = checks
        return _result("token_replay_same_name", _verdict(checks), evidence, TOKEN_DEPENDS, f"replay: {answer.code}")
    finally:
        if made:
            evidence["cleanup"] = target.remove_endpoints(made)


def probe_token_replay_other_name(target: Target) -> ProbeResult:
    """CreateEndpoint with the shared endpoint's token but another name is refused (InvalidRequestException)
    and creates nothing: a token belongs to the request that first used it."""
    shared = target.shared_endpoint()
    name = f"{target.prefix}-renamed"
    other = target.endpoint_arn(name)
    made: list[str] = []
    evidence: dict[str, Any] = {}
    try:
        answer = call(target.comprehend.create_endpoint, **{**shared.request, "EndpointName": name})
        if answer.ok and answer.response.get("EndpointArn") != shared.arn:
            made.append(str(answer.response["EndpointArn"]))
        lookup = target.describe(other)
        if lookup.ok:
            made.append(other)
        checks = {
            "refused": answer.code == "InvalidRequestException",
            "no endpoint of the other name": lookup.code == "ResourceNotFoundException",
        }
        evidence |= {"replay": answer.brief(), "arn": answer.response.get("EndpointArn"), "other_name": lookup.brief()}
        evidence["checks"] = checks
        return _result("token_replay_other_name", _verdict(checks), evidence, TOKEN_DEPENDS, f"replay: {answer.code}")
    finally:
        if made:
            evidence["cleanup"] = target.remove_endpoints(made)


def probe_token_replay_after_delete(target: Target) -> ProbeResult:
    """After the shared endpoint is deleted (this probe deletes it: it runs last), CreateEndpoint with its
    token and request creates a new endpoint: the token was forgotten with the endpoint."""
    shared = target.shared_endpoint()
    request = dict(shared.request)
    made: list[str] = []
    evidence: dict[str, Any] = {"release": target.release_shared()}
    try:
        answer = call(target.comprehend.create_endpoint, **request)
        lookup = target.describe(shared.arn)
        if lookup.ok:
            made.append(shared.arn)
        checks = {
            "accepted": answer.ok,
            "the same ARN (name and type)": answer.response.get("EndpointArn") == shared.arn,
            "a new endpoint created": lookup.ok,
        }
        evidence |= {"replay": answer.brief(), "lookup": lookup.brief(), "checks": checks}
        return _result("token_replay_after_delete", _verdict(checks), evidence, TOKEN_DEPENDS, f"replay: {answer.code}")
    finally:
        if made:
            evidence["cleanup"] = target.remove_endpoints(made)


# -- tags -----------------------------------------------------------------------------------------
def probe_aws_tag_keys_refused(target: Target) -> ProbeResult:
    """TagResource and UntagResource refuse keys starting ``aws:`` with InvalidRequestException."""
    depends_on = DEPENDS_ON["aws_tag_keys_refused"]
    shared = target.shared_endpoint()
    tag = call(target.comprehend.tag_resource, ResourceArn=shared.arn, Tags=[{"Key": "aws:probe", "Value": "x"}])
    untag = call(target.comprehend.untag_resource, ResourceArn=shared.arn, TagKeys=["aws:probe"])
    checks = {
        "TagResource InvalidRequest": tag.code == "InvalidRequestException",
        "UntagResource InvalidRequest": untag.code == "InvalidRequestException",
    }
    evidence = {"TagResource": tag.brief(), "UntagResource": untag.brief(), "checks": checks}
    return _result(
        "aws_tag_keys_refused", _verdict(checks), evidence, depends_on, f"tag {tag.code}, untag {untag.code}"
    )


def probe_tag_limits(target: Target) -> ProbeResult:
    """Tag keys of 128 and values of 256 characters are accepted, 129 and 257 refused (the API model's
    limits; the developer guide says 127/255)."""
    depends_on = DEPENDS_ON["tag_limits"]
    shared = target.shared_endpoint()
    key_max, value_max = TAG_LIMITS
    below, at_limit = f"key {key_max - 1}, value {value_max - 1}", f"key {key_max}, value {value_max}"
    long_key, long_value = f"key {key_max + 1}", f"value {value_max + 1}"
    attempts = {
        below: ("k" * (key_max - 1), "v" * (value_max - 1)),
        at_limit: ("K" * key_max, "v" * value_max),
        long_key: ("q" * (key_max + 1), "v"),
        long_value: ("w", "v" * (value_max + 1)),
    }
    answers: dict[str, Answer] = {}
    try:
        for label, (key, value) in attempts.items():
            answers[label] = call(
                target.comprehend.tag_resource, ResourceArn=shared.arn, Tags=[{"Key": key, "Value": value}]
            )
    finally:  # only the keys that were accepted: an over-long key could make the whole untag invalid
        accepted = [attempts[label][0] for label, answer in answers.items() if answer.ok]
        if accepted:
            call(target.comprehend.untag_resource, ResourceArn=shared.arn, TagKeys=accepted)
    checks = {
        f"{below} accepted": answers[below].ok,
        f"{at_limit} accepted": answers[at_limit].ok,
        f"{long_key} refused": not answers[long_key].ok,
        f"{long_value} refused": not answers[long_value].ok,
    }
    evidence = {label: a.brief() for label, a in answers.items()} | {"checks": checks}
    return _result("tag_limits", _verdict(checks), evidence, depends_on, f"tag key/value limits {key_max}/{value_max}")


# -- ListEndpoints ---------------------------------------------------------------------------------
def probe_list_endpoints_default_page(target: Target) -> ProbeResult:
    """ListEndpoints without MaxResults returns pages of 100 endpoints. Only an account or region holding
    more than 100 endpoints can show the size; with fewer, the probe is inconclusive unless a smaller page
    comes with a NextToken (refuted)."""
    depends_on = DEPENDS_ON["list_endpoints_default_page"]
    target.shared_endpoint()
    page = call(target.comprehend.list_endpoints)
    count = len(page.response.get("EndpointPropertiesList", []))
    more = bool(page.response.get("NextToken"))
    evidence: dict[str, Any] = {"first_page": page.brief(), "count": count, "next_token": more}
    if not page.ok:
        verdict: Verdict = "refuted"
    elif more:
        verdict = "confirmed" if count == LIST_PAGE else "refuted"
    elif count > LIST_PAGE:
        verdict = "refuted"
    else:
        verdict = "inconclusive"
        evidence["why"] = f"all {count} endpoints fit on one page: the default page holds at least {count}"
    return _result(
        "list_endpoints_default_page", verdict, evidence, depends_on, f"first page {count}, NextToken {more}"
    )


# -- endpoint types ---------------------------------------------------------------------------------
def probe_names_conflict_per_type(target: Target) -> ProbeResult:
    """An endpoint of the other type may take the shared endpoint's name (names conflict per type), while
    another endpoint of the same type and name is refused with ResourceInUseException. Needs a model of
    each type; creates (and deletes) one endpoint of the other type."""
    depends_on = DEPENDS_ON["names_conflict_per_type"]
    shared = target.shared_endpoint()
    other = target.other_model_arn
    if other is None or kind(other) == kind(target.model_arn):
        why = "needs OTHER_MODEL_ARN, a trained model of the other type"
        return _result("names_conflict_per_type", "inconclusive", {"why": why}, depends_on, why)
    made: list[str] = []
    evidence: dict[str, Any] = {}
    try:
        same_type = call(
            target.comprehend.create_endpoint,
            **{**shared.request, "ClientRequestToken": f"{target.prefix}-same-type"},
        )
        if same_type.ok and same_type.response.get("EndpointArn") != shared.arn:
            made.append(str(same_type.response["EndpointArn"]))
        other_type = call(
            target.comprehend.create_endpoint,
            **{**shared.request, "ModelArn": other, "ClientRequestToken": f"{target.prefix}-other-type"},
        )
        if other_type.ok:
            made.append(str(other_type.response["EndpointArn"]))
        checks = {
            "same type, same name: ResourceInUse": same_type.code == "ResourceInUseException",
            "other type, same name: accepted": other_type.ok,
            "other type's ARN": other_type.response.get("EndpointArn") == target.endpoint_arn(shared.name, other),
        }
        evidence |= {"same_type": same_type.brief(), "other_type": other_type.brief(), "checks": checks}
        return _result(
            "names_conflict_per_type",
            _verdict(checks),
            evidence,
            depends_on,
            f"same type {same_type.code}, other type {other_type.code}",
        )
    finally:
        if made:
            evidence["cleanup"] = target.remove_endpoints(made)


def probe_model_type_for_life(target: Target) -> ProbeResult:
    """UpdateEndpoint of an IN_SERVICE endpoint to a model of the other type is refused
    (InvalidRequestException): an endpoint keeps its model type for life. Needs a model of each type."""
    depends_on = DEPENDS_ON["model_type_for_life"]
    shared = target.shared_endpoint()
    other = target.other_model_arn
    if other is None or kind(other) == kind(target.model_arn):
        why = "needs OTHER_MODEL_ARN, a trained model of the other type"
        return _result("model_type_for_life", "inconclusive", {"why": why}, depends_on, why)
    status = target.wait_while(shared.arn, BUSY)
    if status != "IN_SERVICE":
        return _result("model_type_for_life", "inconclusive", {"status": status}, depends_on, "not IN_SERVICE")
    answer = call(target.comprehend.update_endpoint, EndpointArn=shared.arn, DesiredModelArn=other)
    checks = {"InvalidRequest": answer.code == "InvalidRequestException"}
    evidence: dict[str, Any] = {"UpdateEndpoint": answer.brief(), "checks": checks}
    if answer.ok:  # refuted: let the change finish before the next probe
        evidence["after"] = target.wait_while(shared.arn, BUSY)
    return _result(
        "model_type_for_life", _verdict(checks), evidence, depends_on, f"update to other type: {answer.code}"
    )


# -- updates ----------------------------------------------------------------------------------------
def probe_update_status_lag(target: Target) -> ProbeResult:
    """After an accepted UpdateEndpoint (1 -> 2 inference units on the IN_SERVICE shared endpoint),
    DescribeEndpoint shows UPDATING within ``LAG_LIMIT_S``; the lag is measured (every ``LAG_POLL_S``).
    Leaves the shared endpoint UPDATING for ``probe_busy_refusals_while_updating``."""
    depends_on = DEPENDS_ON["update_status_lag"]
    shared = target.shared_endpoint()
    status = target.wait_while(shared.arn, BUSY)
    if status != "IN_SERVICE":
        return _result("update_status_lag", "inconclusive", {"status": status}, depends_on, "not IN_SERVICE")
    update = call(target.comprehend.update_endpoint, EndpointArn=shared.arn, DesiredInferenceUnits=2)
    accepted_at = target.clock.now()
    seen: list[dict[str, Any]] = []
    lag: float | None = None
    while update.ok and target.clock.now() - accepted_at <= LAG_LIMIT_S:
        answer = target.describe(shared.arn)
        props = answer.response.get("EndpointProperties", {})
        seen.append({"t": round(target.clock.now() - accepted_at, 1), "status": props.get("Status", answer.code)})
        if props.get("Status") == "UPDATING" or props.get("CurrentInferenceUnits") == 2:
            lag = target.clock.now() - accepted_at
            break
        target.clock.sleep(LAG_POLL_S)
    checks = {"accepted": update.ok, f"UPDATING within {LAG_LIMIT_S:.0f} s": lag is not None}
    evidence = {
        "UpdateEndpoint": update.brief(),
        "lag_s": lag,
        "first_status": seen[0]["status"] if seen else None,
        "polls": seen[:10],
        "checks": checks,
    }
    return _result(
        "update_status_lag",
        _verdict(checks),
        evidence,
        depends_on,
        f"UPDATING after {lag:.1f} s" if lag is not None else "no UPDATING seen",
    )


def probe_update_on_failed_endpoint(target: Target) -> ProbeResult:
    """UpdateEndpoint is accepted on a FAILED endpoint. A FAILED endpoint comes from FAILING_MODEL_ARN (a
    model whose endpoints fail); without one, or when its endpoint does not fail, the probe is
    inconclusive. Creates (and deletes) one endpoint."""
    depends_on = DEPENDS_ON["update_on_failed_endpoint"]
    failing = target.failing_model_arn
    good = target.model_arn if failing is None or kind(failing) == kind(target.model_arn) else target.other_model_arn
    if failing is None or good is None or kind(good) != kind(failing):
        why = "needs FAILING_MODEL_ARN, a model whose endpoints end FAILED (and a trained model of its type)"
        return _result("update_on_failed_endpoint", "inconclusive", {"why": why}, depends_on, why)
    name = f"{target.prefix}-failed"
    made: list[str] = []
    evidence: dict[str, Any] = {}
    try:
        create = call(
            target.comprehend.create_endpoint,
            EndpointName=name,
            ModelArn=failing,
            DesiredInferenceUnits=1,
            ClientRequestToken=f"{target.prefix}-failed-token",
            Tags=target.owner_tags(),
        )
        evidence["create"] = create.brief()
        if not create.ok:
            return _result("update_on_failed_endpoint", "inconclusive", evidence, depends_on, "create refused")
        arn = str(create.response["EndpointArn"])
        made.append(arn)
        status = target.wait_while(arn, BUSY)
        evidence["status"] = status
        if status != "FAILED":
            why = f"the endpoint of FAILING_MODEL_ARN ended {status}, not FAILED"
            return _result("update_on_failed_endpoint", "inconclusive", evidence | {"why": why}, depends_on, why)
        update = call(target.comprehend.update_endpoint, EndpointArn=arn, DesiredModelArn=good)
        evidence["UpdateEndpoint"] = update.brief()
        evidence["checks"] = {"accepted": update.ok}
        return _result(
            "update_on_failed_endpoint", _verdict(evidence["checks"]), evidence, depends_on, f"update: {update.code}"
        )
    finally:
        if made:
            evidence["cleanup"] = target.remove_endpoints(made)


# -- flywheels and roles ----------------------------------------------------------------------------
def probe_update_takes_flywheel_model(target: Target) -> ProbeResult:
    """UpdateEndpoint of the IN_SERVICE shared endpoint with only a FlywheelArn makes that flywheel's active
    model (DescribeFlywheel) the desired model: the answer's and DescribeEndpoint's DesiredModelArn, and the
    endpoint's FlywheelArn is the flywheel. Needs FLYWHEEL_ARN, a flywheel whose active model is of the
    model's type and is not MODEL_ARN itself (else nothing would show); leaves the shared endpoint UPDATING."""
    name = "update_takes_flywheel_model"
    depends_on = DEPENDS_ON[name]
    flywheel = target.flywheel_arn
    if flywheel is None:
        why = "needs FLYWHEEL_ARN, a flywheel whose active model is of MODEL_ARN's type"
        return _result(name, "inconclusive", {"why": why}, depends_on, why)
    described = call(target.comprehend.describe_flywheel, FlywheelArn=flywheel)
    active = described.response.get("FlywheelProperties", {}).get("ActiveModelArn")
    evidence: dict[str, Any] = {"DescribeFlywheel": described.brief(), "active_model": active}
    if not described.ok or not active or kind(str(active)) != kind(target.model_arn) or active == target.model_arn:
        why = "the flywheel has no active model of MODEL_ARN's type other than MODEL_ARN itself"
        return _result(name, "inconclusive", evidence | {"why": why}, depends_on, why)
    shared = target.shared_endpoint()
    status = target.wait_while(shared.arn, BUSY)
    if status != "IN_SERVICE":
        return _result(name, "inconclusive", evidence | {"status": status}, depends_on, "not IN_SERVICE")
    update = call(target.comprehend.update_endpoint, EndpointArn=shared.arn, FlywheelArn=flywheel)
    after = target.describe(shared.arn)
    props = after.response.get("EndpointProperties", {})
    checks = {
        "accepted": update.ok,
        "answered DesiredModelArn: the active model": update.response.get("DesiredModelArn") == active,
        "DescribeEndpoint DesiredModelArn: the active model": props.get("DesiredModelArn") == active,
        "DescribeEndpoint FlywheelArn: the flywheel": props.get("FlywheelArn") == flywheel,
    }
    evidence |= {
        "UpdateEndpoint": update.brief(),
        "answered_DesiredModelArn": update.response.get("DesiredModelArn"),
        "after": {k: props.get(k) for k in ("Status", "ModelArn", "DesiredModelArn", "FlywheelArn")},
        "checks": checks,
    }
    return _result(
        name, _verdict(checks), evidence, depends_on, f"update with the flywheel: {update.code}, desired {active}"
    )


def probe_no_removal_in_place(target: Target) -> ProbeResult:
    """No UpdateEndpoint removes a flywheel or a data-access role from an endpoint: once the shared endpoint
    serves the flywheel (after ``probe_update_takes_flywheel_model``), an UpdateEndpoint with an empty
    FlywheelArn, and one with an empty DesiredDataAccessRoleArn (sent with parameter validation off), are
    refused with InvalidRequestException, and the endpoint keeps its flywheel. The role half shows only that
    the empty value is refused: no endpoint with a role is made."""
    name = "no_removal_in_place"
    depends_on = DEPENDS_ON[name]
    client = target.unvalidated_comprehend
    if target.flywheel_arn is None or client is None:
        why = "needs FLYWHEEL_ARN (the shared endpoint must serve a flywheel) and a client without validation"
        return _result(name, "inconclusive", {"why": why}, depends_on, why)
    shared = target.shared_endpoint()
    status = target.wait_while(shared.arn, BUSY)
    before = target.describe(shared.arn).response.get("EndpointProperties", {})
    if status != "IN_SERVICE" or before.get("FlywheelArn") != target.flywheel_arn:
        why = "the shared endpoint was not IN_SERVICE with the flywheel (see update_takes_flywheel_model)"
        evidence = {"status": status, "FlywheelArn": before.get("FlywheelArn"), "why": why}
        return _result(name, "inconclusive", evidence, depends_on, why)
    answers = {
        "UpdateEndpoint(FlywheelArn '')": call(client.update_endpoint, EndpointArn=shared.arn, FlywheelArn=""),
        "UpdateEndpoint(DesiredDataAccessRoleArn '')": call(
            client.update_endpoint, EndpointArn=shared.arn, DesiredDataAccessRoleArn=""
        ),
    }
    after = target.describe(shared.arn).response.get("EndpointProperties", {})
    checks = {f"{label}: InvalidRequest": a.code == "InvalidRequestException" for label, a in answers.items()}
    checks["the flywheel kept"] = after.get("FlywheelArn") == target.flywheel_arn
    evidence = {label: a.brief() for label, a in answers.items()}
    evidence |= {"FlywheelArn_after": after.get("FlywheelArn"), "checks": checks}
    if any(a.ok for a in answers.values()):  # refuted: let that change finish before the next probe
        evidence["after_change"] = target.wait_while(shared.arn, BUSY)
    return _result(
        name,
        _verdict(checks),
        evidence,
        depends_on,
        ", ".join(f"{label.split('(')[1].rstrip(')')}: {a.code}" for label, a in answers.items()),
    )


# -- DescribeEndpoint -------------------------------------------------------------------------------
def probe_describe_fields(target: Target) -> ProbeResult:
    """Every DescribeEndpoint answer the probes received (CREATING, IN_SERVICE, UPDATING, FAILED...) had
    CurrentInferenceUnits, as the loopback always answers it."""
    depends_on = DEPENDS_ON["describe_fields"]
    shared = target.shared_endpoint()
    target.describe(shared.arn)
    by_status: dict[str, dict[str, Any]] = {}
    for status, fields in target.observed:
        entry = by_status.setdefault(status, {"answers": 0, "without_CurrentInferenceUnits": 0, "fields": set()})
        entry["answers"] += 1
        entry["fields"] |= set(fields)
        entry["without_CurrentInferenceUnits"] += "CurrentInferenceUnits" not in fields
    lacking = sorted(s for s, e in by_status.items() if e["without_CurrentInferenceUnits"])
    checks = {"CurrentInferenceUnits always present": not lacking}
    evidence = {
        "by_status": {s: {**e, "fields": sorted(e["fields"])} for s, e in by_status.items()},
        "statuses_without_CurrentInferenceUnits": lacking,
        "checks": checks,
    }
    return _result(
        "describe_fields",
        _verdict(checks),
        evidence,
        depends_on,
        f"statuses seen {sorted(by_status)}; without CurrentInferenceUnits: {lacking or 'none'}",
    )


# -- requests that break the service model -------------------------------------------------------
NEVER_HANDED_OUT = "probe-a-token-the-service-never-gave"
"""A ListEndpoints NextToken no ListEndpoints answer handed out."""


def probe_model_violations_refused(target: Target) -> ProbeResult:
    """A request that breaks the service model reaches the service when botocore's parameter validation is
    off, and the service refuses it with InvalidRequestException: a ListEndpoints NextToken it never handed
    out; a DescribeEndpoint without its required EndpointArn; a DescribeEndpoint whose EndpointArn is a
    well-formed ARN followed by more (the model's pattern is not anchored: only a whole-value match refuses
    it); a CreateEndpoint whose ClientRequestToken starts well but ends outside ``^[a-zA-Z0-9-]+$``. If the
    service accepts that CreateEndpoint, the endpoint is deleted and the probe is refuted."""
    name = "model_violations_refused"
    depends_on = DEPENDS_ON[name]
    client = target.unvalidated_comprehend
    if client is None:
        why = "no Comprehend client without parameter validation"
        return _result(name, "inconclusive", {"why": why}, depends_on, why)
    endpoint_name = f"{target.prefix}-bad-token"
    arn = target.endpoint_arn(endpoint_name)
    made: list[str] = []
    evidence: dict[str, Any] = {}
    try:
        answers = {
            "ListEndpoints(NextToken never handed out)": call(client.list_endpoints, NextToken=NEVER_HANDED_OUT),
            "DescribeEndpoint(no EndpointArn)": call(client.describe_endpoint),
            "DescribeEndpoint(an ARN followed by more)": call(
                client.describe_endpoint, EndpointArn=f"{target.endpoint_arn(f'{target.prefix}-missing')} !"
            ),
        }
        create = call(
            client.create_endpoint,
            EndpointName=endpoint_name,
            ModelArn=target.model_arn,
            DesiredInferenceUnits=1,
            ClientRequestToken=f"{target.prefix}-bad-token!",
            Tags=target.owner_tags(),
        )
        answers["CreateEndpoint(ClientRequestToken ending in '!')"] = create
        if create.ok:
            made.append(str(create.response.get("EndpointArn") or arn))
        lookup = target.describe(arn)
        if lookup.ok and arn not in made:
            made.append(arn)
        checks = {f"{label}: InvalidRequest": a.code == "InvalidRequestException" for label, a in answers.items()}
        checks["CreateEndpoint made nothing"] = lookup.code == "ResourceNotFoundException"
        evidence |= {label: a.brief() for label, a in answers.items()}
        evidence |= {"lookup_after_create": lookup.brief(), "checks": checks}
        return _result(
            name,
            _verdict(checks),
            evidence,
            depends_on,
            ", ".join(f"{label.split('(')[0]} {a.code}" for label, a in answers.items()),
        )
    finally:
        if made:
            evidence["cleanup"] = target.remove_endpoints(made)


# -- Application Auto Scaling ---------------------------------------------------------------------
def scalable_dimension(endpoint_arn: str) -> str:
    """The Application Auto Scaling dimension of an endpoint's inference units (by its type)."""
    return f"comprehend:{endpoint_arn.split(':')[5].split('/')[0]}:DesiredInferenceUnits"


def at_expression(when: float) -> str:
    """A one-time schedule (``at(yyyy-mm-ddThh:mm:ss)``, UTC) at ``when``, rounded up to the second."""
    moment = datetime.datetime.fromtimestamp(math.ceil(when), datetime.UTC)
    return f"at({moment.strftime('%Y-%m-%dT%H:%M:%S')})"


def probe_autoscaling_moves_units_within_range(target: Target) -> ProbeResult:
    """Application Auto Scaling moves the IN_SERVICE shared endpoint's DesiredInferenceUnits (as UpdateEndpoint
    would) and never outside the registered range: the endpoint is registered as a scalable target of
    [min(u, g), max(u, g)] (u its units, g = 2 when u is 1, else 1), and a scheduled action a minute ahead sets
    both bounds to g. Polling DescribeEndpoint every ``SCALING_POLL_S``, the desired units must become g within
    ``SCHEDULE_WAIT_S`` of the action's time, the endpoint IN_SERVICE with g units after, and no desired or
    current value seen may leave the registered range; DescribeScalingActivities is kept as evidence. Deletes
    the action and deregisters the target in a ``finally`` (checked with a last DescribeScalableTargets)."""
    name = "autoscaling_moves_units_within_range"
    depends_on = DEPENDS_ON[name]
    client = target.autoscaling
    if client is None:
        why = "no Application Auto Scaling client"
        return _result(name, "inconclusive", {"why": why}, depends_on, why)
    shared = target.shared_endpoint()
    status = target.wait_while(shared.arn, BUSY)
    props = target.describe(shared.arn).response.get("EndpointProperties", {})
    if status != "IN_SERVICE" or not isinstance(props.get("DesiredInferenceUnits"), int):
        return _result(name, "inconclusive", {"status": status}, depends_on, "not IN_SERVICE")
    units = int(props["DesiredInferenceUnits"])
    goal = 2 if units == 1 else 1
    low, high = min(units, goal), max(units, goal)
    scalable = {
        "ServiceNamespace": "comprehend",
        "ResourceId": shared.arn,
        "ScalableDimension": scalable_dimension(shared.arn),
    }
    action = {**scalable, "ScheduledActionName": f"{target.prefix}-scale"}
    evidence: dict[str, Any] = {"units_before": units, "goal": goal, "registered": [low, high]}
    registered = scheduled = False
    try:
        register = call(client.register_scalable_target, **scalable, MinCapacity=low, MaxCapacity=high)
        evidence["RegisterScalableTarget"] = register.brief()
        registered = register.ok
        if not register.ok:
            return _result(name, "inconclusive", evidence | {"why": "registration refused"}, depends_on, register.code)
        when = target.clock.now() + SCHEDULE_AHEAD_S
        schedule = at_expression(when)
        bounds = {"MinCapacity": goal, "MaxCapacity": goal}
        put = call(client.put_scheduled_action, **action, Schedule=schedule, ScalableTargetAction=bounds)
        evidence["PutScheduledAction"] = put.brief() | {"Schedule": schedule}
        scheduled = put.ok
        if not put.ok:
            return _result(name, "inconclusive", evidence | {"why": "scheduled action refused"}, depends_on, put.code)
        polls, moved_at = _watch_scaling(target, shared.arn, goal, math.ceil(when))
        activities = call(client.describe_scaling_activities, **scalable)
        evidence["activities"] = (
            [
                {k: a.get(k) for k in ("StatusCode", "Description", "Cause", "StatusMessage") if a.get(k) is not None}
                for a in activities.response.get("ScalingActivities", [])[:5]
            ]
            if activities.ok
            else activities.brief()
        )
        seen = [p[key] for p in polls for key in ("desired", "current") if isinstance(p[key], int)]
        last = polls[-1]
        checks = {
            f"DesiredInferenceUnits moved to {goal}": moved_at is not None,
            f"IN_SERVICE with {goal} units after": last["status"] == "IN_SERVICE" and last["current"] == goal,
            f"never outside [{low}, {high}]": all(low <= v <= high for v in seen),
        }
        evidence |= {
            "moved_s_after_schedule": None if moved_at is None else round(moved_at - math.ceil(when), 1),
            "polls": polls[:3] + polls[-3:] if len(polls) > 6 else polls,
            "values_seen": sorted(set(seen)),
            "checks": checks,
        }
        summary = f"{units} -> {goal} units by a scheduled action" + (
            f" {evidence['moved_s_after_schedule']:.0f} s after its time" if moved_at is not None else ": no change"
        )
        return _result(name, _verdict(checks), evidence, depends_on, summary)
    finally:
        cleanup: dict[str, Any] = {}
        if scheduled:
            cleanup["DeleteScheduledAction"] = call(client.delete_scheduled_action, **action).brief()
        if registered:
            cleanup["DeregisterScalableTarget"] = call(client.deregister_scalable_target, **scalable).brief()
            left = call(client.describe_scalable_targets, ServiceNamespace="comprehend", ResourceIds=[shared.arn])
            targets = left.response.get("ScalableTargets", [])
            cleanup["left"] = [t.get("ResourceId") for t in targets] if left.ok else left.brief()
        evidence["cleanup"] = cleanup


def _watch_scaling(target: Target, arn: str, goal: int, due: float) -> tuple[list[dict[str, Any]], float | None]:
    """Describe the endpoint every ``SCALING_POLL_S`` until its desired units became ``goal`` and it is no longer
    busy (or ``SCHEDULE_WAIT_S`` after ``due`` without a change); the polls and when the change was first seen."""
    polls: list[dict[str, Any]] = []
    moved_at: float | None = None
    while True:
        now = target.clock.now()
        answer = target.describe(arn)
        props = answer.response.get("EndpointProperties", {})
        poll = {
            "t": round(now - due, 1),
            "status": props.get("Status", answer.code),
            "desired": props.get("DesiredInferenceUnits"),
            "current": props.get("CurrentInferenceUnits"),
        }
        polls.append(poll)
        if moved_at is None and poll["desired"] == goal:
            moved_at = now
        settled = poll["status"] == "IN_SERVICE" and poll["current"] == goal
        if settled or poll["status"] == "FAILED" or not answer.ok:
            break
        if now >= (due + SCHEDULE_WAIT_S if moved_at is None else moved_at + CREATE_WAIT_S):
            break
        target.clock.sleep(SCALING_POLL_S)
    return polls, moved_at


# -- the regional quota during an update --------------------------------------------------------
def read_quota(target: Target, code: str) -> tuple[int | None, dict[str, Any]]:
    """A Comprehend quota's value from Service Quotas (the applied value, else the default), with the answers."""
    answer = call(target.servicequotas.get_service_quota, ServiceCode=QUOTA_SERVICE, QuotaCode=code)
    seen: dict[str, Any] = {"GetServiceQuota": answer.brief()}
    if answer.code == "NoSuchResourceException":  # no applied value: the default is the one in force
        answer = call(target.servicequotas.get_aws_default_service_quota, ServiceCode=QUOTA_SERVICE, QuotaCode=code)
        seen["GetAWSDefaultServiceQuota"] = answer.brief()
    quota = answer.response.get("Quota", {})
    value = quota.get("Value")
    seen |= {"name": quota.get("QuotaName"), "value": value}
    return (int(value) if isinstance(value, (int, float)) else None), seen


def quota_fill_dollars(units: int) -> float:
    """What filling ``units`` inference units costs for ``QUOTA_FILL_MINUTES`` at the list price."""
    return round(units * QUOTA_FILL_MINUTES * 60 * PRICE_PER_UNIT_SECOND, 2)


def probe_quota_counts_larger_units_while_updating(target: Target) -> ProbeResult:
    """While an endpoint is UPDATING from 1 to 2 inference units it holds 2 against the regional quota Q (Service
    Quotas): with endpoint A updating and the other endpoints of the region holding O units, filler endpoints of
    Q - O - 1 units in all (at most the per-endpoint quota each) are asked for: the last is refused
    (ResourceLimitExceededException) when A counts 2 (confirmed), accepted when A counts only its current 1
    (refuted). Filling the quota bills every unit for about ``QUOTA_FILL_MINUTES``: unless Q is at most
    ``Target.quota_max_units`` (``QUOTA_PROBE_MAX_UNITS``, default 0) the probe stops, inconclusive, with the
    quotas read. Inconclusive too when another endpoint is not IN_SERVICE or CREATING (how much it holds is what
    is probed), when the quota cannot be reached within the endpoint quota, or when A was no longer UPDATING.
    Does not tell "the larger" from "the desired" units (a 2 -> 1 update would). Deletes every endpoint it made
    in a ``finally`` (checked with a last ListEndpoints)."""
    name = "quota_counts_larger_units_while_updating"
    depends_on = DEPENDS_ON[name]
    if target.servicequotas is None:
        why = "no Service Quotas client"
        return _result(name, "inconclusive", {"why": why}, depends_on, why)
    read = {label: read_quota(target, code) for label, code in QUOTA_CODES.items()}
    evidence: dict[str, Any] = {"quotas": {label: seen for label, (_, seen) in read.items()}}
    evidence["QUOTA_PROBE_MAX_UNITS"] = target.quota_max_units
    quota, per_endpoint, max_endpoints = (read[label][0] for label in QUOTA_CODES)
    if quota is None or per_endpoint is None or max_endpoints is None:
        why = "a Comprehend endpoint quota could not be read from Service Quotas"
        return _result(name, "inconclusive", evidence | {"why": why}, depends_on, why)
    if quota > target.quota_max_units:
        why = (
            f"the regional quota is {quota} inference units: filling it bills up to {quota} units for about "
            f"{QUOTA_FILL_MINUTES} minutes (about ${quota_fill_dollars(quota):.2f}); QUOTA_PROBE_MAX_UNITS="
            f"{target.quota_max_units} (set it to at least {quota} to run this probe)"
        )
        return _result(name, "inconclusive", evidence | {"why": why}, depends_on, f"quota {quota} units, not filled")
    endpoints = target.list_endpoints()
    unsettled = sorted(str(e["EndpointArn"]) for e in endpoints if e.get("Status") not in ("IN_SERVICE", "CREATING"))
    others = sum(
        max(int(e.get("CurrentInferenceUnits") or 0), int(e.get("DesiredInferenceUnits") or 0)) for e in endpoints
    )
    fill = quota - others - 1
    chunks = [per_endpoint] * (fill // per_endpoint) + ([fill % per_endpoint] if fill % per_endpoint else [])
    evidence |= {"others_units": others, "others_endpoints": len(endpoints), "fill_units": fill, "fillers": chunks}
    why = ""
    if unsettled:
        why = f"endpoints neither IN_SERVICE nor CREATING hold units in a way this probe measures: {unsettled}"
    elif fill < 1:
        why = f"the other endpoints hold {others} of the {quota} units: no room for the update"
    elif len(endpoints) + 1 + len(chunks) > max_endpoints:
        why = f"{len(chunks)} fillers of up to {per_endpoint} units would pass the {max_endpoints}-endpoint quota"
    if why:
        return _result(name, "inconclusive", evidence | {"why": why}, depends_on, why)
    made: list[str] = []
    try:
        answers = _fill_while_updating(target, chunks, made, evidence)
        if isinstance(answers, str):
            return _result(name, "inconclusive", evidence | {"why": answers}, depends_on, answers)
        last = answers[-1]
        checks = {
            "the last filler refused (ResourceLimitExceededException)": last.code == "ResourceLimitExceededException"
        }
        evidence["checks"] = checks
        verdict: Verdict = "confirmed" if checks[next(iter(checks))] else "refuted" if last.ok else "inconclusive"
        if verdict == "inconclusive":
            evidence["why"] = f"the last filler was refused with {last.code}, not for the quota"
        summary = f"quota {quota}: {others} held elsewhere, A 1 -> 2 units, last filler {last.code}"
        return _result(name, verdict, evidence, depends_on, summary)
    finally:
        if made:
            evidence["cleanup"] = target.remove_endpoints(made)


def _fill_while_updating(
    target: Target, chunks: list[int], made: list[str], evidence: dict[str, Any]
) -> list[Answer] | str:
    """Create endpoint A (1 unit), update it to 2 and, once it shows UPDATING, ask for the fillers in order
    (stopping at the first refusal); the answers, or why the outcome would prove nothing."""
    request = {"ModelArn": target.model_arn, "Tags": target.owner_tags()}
    name = f"{target.prefix}-quota"
    create = call(
        target.comprehend.create_endpoint,
        EndpointName=name,
        DesiredInferenceUnits=1,
        ClientRequestToken=f"{name}-token",
        **request,
    )
    evidence["create_A"] = create.brief()
    if not create.ok:
        return f"CreateEndpoint of A refused: {create.code}"
    arn = str(create.response["EndpointArn"])
    made.append(arn)
    status = target.wait_while(arn, BUSY)
    update = call(target.comprehend.update_endpoint, EndpointArn=arn, DesiredInferenceUnits=2)
    evidence |= {"A_status_before_update": status, "update_A": update.brief()}
    if status != "IN_SERVICE" or not update.ok:
        return "endpoint A could not be updated from an IN_SERVICE 1 unit to 2"
    deadline = target.clock.now() + LAG_LIMIT_S
    while (shown := target.status(arn)) != "UPDATING" and target.clock.now() < deadline:
        target.clock.sleep(LAG_POLL_S)
    if shown != "UPDATING":
        return f"endpoint A showed {shown}, not UPDATING, within {LAG_LIMIT_S:.0f} s of its update"
    answers: list[Answer] = []
    for index, units in enumerate(chunks):
        filler = f"{target.prefix}-fill{index}"
        answer = call(
            target.comprehend.create_endpoint,
            EndpointName=filler,
            DesiredInferenceUnits=units,
            ClientRequestToken=f"{filler}-token",
            **request,
        )
        answers.append(answer)
        if answer.ok:
            made.append(str(answer.response["EndpointArn"]))
        else:
            break
    after = target.status(arn)
    evidence |= {"fillers_asked": [a.brief() for a in answers], "A_status_after_fillers": after}
    if len(answers) < len(chunks):
        return f"filler {len(answers)} of {len(chunks)} was refused ({answers[-1].code}): the quota was reached early"
    if after != "UPDATING":
        return f"endpoint A was {after} when the last filler was answered, no longer UPDATING"
    return answers


TOKEN_DEPENDS = [
    f"{COMPREHEND}: FakeComprehend.CreateEndpoint — a known ClientRequestToken returns the endpoint it made "
    "and creates nothing (FakeComprehend.tokens, never forgotten)",
    "lambda/comprehend_cr/arns.py: client_request_token — one token per CloudFormation request, so a "
    "re-delivered request reaches the same endpoint",
    "docs/how-it-works.md (What the custom resource does): 'The same request delivered twice reaches the same "
    "endpoint.'",
]

BUSY_DEPENDS = [
    f"{README}: 'UpdateEndpoint is ... refused (ResourceInUseException), like DeleteEndpoint, while the "
    "endpoint is CREATING or UPDATING'",
    f"{COMPREHEND}: FakeComprehend.UpdateEndpoint and DeleteEndpoint — Assumed: 'UpdateEndpoint and "
    "DeleteEndpoint are refused with ResourceInUseException while the endpoint is CREATING or UPDATING'",
    f"{LIFECYCLE}: _delete_endpoint waits for a later round on ResourceInUseException; an update waits out "
    "a busy endpoint before converging",
]

DEPENDS_ON: dict[str, list[str]] = {
    "create_with_tags_needs_no_tag_permission": [
        f"{README}: 'CreateEndpoint with Tags needs no comprehend:TagResource permission'",
        f"{SERVER}: LoopbackAws.authorization_checks — CreateEndpoint is checked as comprehend:CreateEndpoint "
        "on the endpoint and model ARNs only (no TagResource)",
        "constructs/cdk_comprehend_endpoint/_provider.py: statement CreateEndpointsOfTheTemplate grants no "
        "TagResource; the handler's CreateEndpoint writes the ownership tags (lifecycle.py _create_endpoint)",
    ],
    "tag_condition_enforced": [
        "docs/how-it-works.md (section: the handler permissions): 'no statement lets the "
        "function change, tag or delete an endpoint another stack (or nobody) owns, nor remove or rewrite the "
        "ownership tags'",
        "constructs/cdk_comprehend_endpoint/_provider.py: statements ManageEndpointsThisStackOwns and "
        "TagEndpointsThisStackOwnsButNotTheirOwnership (aws:ResourceTag/cdk-comprehend-endpoint:stack-id, "
        "aws:TagKeys)",
        f"{SERVER}: LoopbackAws.authorization_checks gives every endpoint action its aws:ResourceTag keys",
        "loopback/comprehend_loopback/iam.py: conditions evaluated per resource",
    ],
    "missing_endpoint_access_denied": [
        f"{README}: 'under an aws:ResourceTag condition, a call on a missing endpoint answers "
        "AccessDeniedException (IAM decides before the service looks the endpoint up)'",
        f"{LIFECYCLE}: Lifecycle._describe and _delete_endpoint tell 'gone' from 'not ours' with ListEndpoints "
        "when AccessDenied comes back",
        f"{SERVER}: LoopbackAws.comprehend_call authorizes before the fake service runs (a missing endpoint has "
        "no tags, so the condition fails)",
    ],
    "create_authorized_per_resource": [
        f"{README}: 'a request that touches several resources is authorized resource by resource, each with "
        "its own tags'",
        "loopback/comprehend_loopback/iam.py: 'A request that touches several resources (CreateEndpoint names "
        "the endpoint, the model and the flywheel) is allowed only when each resource is allowed on its own' "
        "(the IAM documentation does not spell it out)",
        f"{SERVER}: LoopbackAws.authorization_checks — CreateEndpoint on the endpoint, model and flywheel ARNs",
        "constructs/cdk_comprehend_endpoint/_provider.py: CreateEndpointsOfTheTemplate names the exact endpoint "
        "ARNs and the models and flywheels (docs/how-it-works.md, section on the handler permissions)",
    ],
    "busy_refusals_while_creating": BUSY_DEPENDS,
    "busy_refusals_while_updating": BUSY_DEPENDS,
    "aws_tag_keys_refused": [
        f"{README}: 'TagResource/UntagResource refuse keys starting aws: (InvalidRequestException)'",
        f"{COMPREHEND}: _checked_tags and FakeComprehend.UntagResource — Assumed: 'keys starting aws: are "
        "refused by TagResource and UntagResource with InvalidRequestException'",
        "constructs/cdk_comprehend_endpoint/_validation.py and lambda/comprehend_cr/properties.py refuse "
        "aws: tag keys before any call",
    ],
    "tag_limits": [
        f"{COMPREHEND}: _checked_tags — keys 1-128 characters, values up to 256",
        "constructs/cdk_comprehend_endpoint/_validation.py and lambda/comprehend_cr/properties.py: the tag "
        "length limits checked at synth and in the handler",
        "README.md (Properties): the tag limits stated for `tags`",
    ],
    "list_endpoints_default_page": [
        f"{README}: 'ListEndpoints pages hold 100 endpoints when MaxResults is not given'",
        f"{COMPREHEND}: LIST_PAGE (FakeComprehend.ListEndpoints)",
        f"{LIFECYCLE}: Lifecycle._endpoints follows NextToken whatever the page size (a wrong size matters only "
        "to the loopback's paging tests)",
    ],
    "names_conflict_per_type": [
        f"{README}: 'endpoint names conflict per endpoint type (ARN)'",
        f"{COMPREHEND}: FakeComprehend.CreateEndpoint — Assumed: 'endpoint names conflict per endpoint type: "
        "the ARN (type and name) is the identity'",
        f"{LIFECYCLE}: a name held by another endpoint is recognised by the ARN of the model's type; the "
        "construct's CreateEndpoint statement names exact ARNs of one type",
    ],
    "model_type_for_life": [
        f"{README}: 'an endpoint keeps its model type for life (UpdateEndpoint with a model of the other type "
        "is refused)'",
        f"{COMPREHEND}: FakeComprehend.UpdateEndpoint — Assumed: 'an endpoint keeps its model type for life: "
        "UpdateEndpoint with a model of the other type is refused (InvalidRequestException)'",
        f"{LIFECYCLE}: a model of the other type replaces the endpoint instead of updating it",
    ],
    "update_status_lag": [
        f"{README}: 'an accepted UpdateEndpoint may show as UPDATING only a moment later (the handler compares "
        "values, not only statuses, and a test makes the lag a minute long)'",
        f"{COMPREHEND}: Timing.status_lag_s — Assumed: 'an accepted UpdateEndpoint may show as UPDATING only "
        "after a lag' (0 by default)",
        f"{LIFECYCLE}: an update is answered only once the endpoint is IN_SERVICE with the new values",
    ],
    "update_on_failed_endpoint": [
        f"{README}: 'UpdateEndpoint is accepted on a FAILED endpoint'",
        f"{COMPREHEND}: FakeComprehend.UpdateEndpoint — Assumed: 'UpdateEndpoint is accepted on a FAILED endpoint'",
        f"{LIFECYCLE}: an endpoint left FAILED by an update is re-applied with UpdateEndpoint",
    ],
    "describe_fields": [
        f"{README}: 'DescribeEndpoint may leave out CurrentInferenceUnits ...: the handler then counts the "
        "desired units as served'",
        f"{COMPREHEND}: FakeComprehend.DescribeEndpoint always answers CurrentInferenceUnits, so only "
        "tests/unit/test_lifecycle_optional_fields.py exercises its absence",
        f"{LIFECYCLE}: served units fall back to DesiredInferenceUnits",
    ],
    "model_violations_refused": [
        f"{README}: 'a request that breaks the service model (a pattern, a length, a range, a missing member, a "
        "NextToken the service did not hand out) is refused with InvalidRequestException, and the model's patterns "
        "match the whole value'",
        f"{COMPREHEND}: 'the model's patterns are matched against the whole value (the model does not anchor most "
        "of them)'",
        f"{COMPREHEND}: FakeComprehend.validate and ListEndpoints — InvalidRequestException for every request "
        "that breaks the model, and for a NextToken it did not hand out",
        "lambda/comprehend_cr/create.py: an InvalidRequestException fails the request: 'CreateEndpoint rejected "
        "the request'",
    ],
    "update_takes_flywheel_model": [
        f"{README}: 'UpdateEndpoint with a FlywheelArn makes that flywheel's active model the desired model, "
        "unless the request also gives DesiredModelArn'",
        f"{COMPREHEND}: 'UpdateEndpoint with a FlywheelArn makes that flywheel's active model the desired model, "
        "unless the request also gives DesiredModelArn (then that model is the desired one)'",
        "lambda/comprehend_cr/diffs.py: matches — a template naming a flywheel and no model is served once the "
        "endpoint's FlywheelArn is that flywheel (the model is the one the service took from it)",
    ],
    "no_removal_in_place": [
        f"{README}: 'a data-access role or flywheel cannot be removed from an endpoint in place'",
        "lambda/comprehend_cr/diffs.py: 'Raises :class:`PropertyError` for what UpdateEndpoint cannot do in "
        "place: removing a data-access role or a flywheel'",
        f"{COMPREHEND}: FakeComprehend.UpdateEndpoint keeps the endpoint's role and flywheel when the request "
        "gives none, and validate refuses an empty FlywheelArn or DesiredDataAccessRoleArn",
    ],
    "autoscaling_moves_units_within_range": [
        f"{README}: 'Application Auto Scaling moves DesiredInferenceUnits through UpdateEndpoint within the "
        "registered [MinCapacity, MaxCapacity]'",
        "loopback/comprehend_loopback/autoscaling.py: 'Application Auto Scaling moves an endpoint's units with "
        "UpdateEndpoint's DesiredInferenceUnits'",
        "loopback/comprehend_loopback/world.py: World.autoscale, the scaler of the stack tests "
        "(tests/stack/test_autoscaling.py), moves units only within a registered target's range",
        "lambda/comprehend_cr/diffs.py: 'With autoscaling the scaler owns the live units within [min, max]'",
        "README.md (Autoscaling inference units): 'Deploys never undo the scaler'",
    ],
    "quota_counts_larger_units_while_updating": [
        f"{README}: 'during an update an endpoint counts the larger of its current and desired units against "
        "the regional quota'",
        f"{COMPREHEND}: FakeComprehend.total_units — 'an updating endpoint counts the larger of its current and "
        "desired units'",
        "docs/how-it-works.md (comprehend-endpoint-rehearse): 'It also gives the peaks against the service quotas'",
        "loopback/comprehend_loopback/rehearse.py: Peaks.units_total is the peak of FakeComprehend.total_units",
        "lambda/comprehend_cr/create.py: a CreateEndpoint refused with ResourceLimitExceededException names the "
        "quota to raise",
    ],
    "token_replay_same_name": TOKEN_DEPENDS,
    "token_replay_other_name": TOKEN_DEPENDS,
    "token_replay_after_delete": TOKEN_DEPENDS,
    **cfn.DEPENDS_ON,
}
"""What relies on each probe's assumption (loopback rule, handler behaviour, README line), by probe name."""

PROBES: list[Probe] = [
    probe_create_with_tags_needs_no_tag_permission,
    probe_busy_refusals_while_creating,
    probe_tag_condition_enforced,
    probe_missing_endpoint_access_denied,
    probe_create_authorized_per_resource,
    probe_token_replay_same_name,
    probe_token_replay_other_name,
    probe_aws_tag_keys_refused,
    probe_tag_limits,
    probe_list_endpoints_default_page,
    probe_model_violations_refused,
    probe_names_conflict_per_type,
    probe_update_on_failed_endpoint,
    probe_model_type_for_life,
    probe_update_status_lag,
    probe_busy_refusals_while_updating,
    probe_update_takes_flywheel_model,
    probe_no_removal_in_place,
    probe_autoscaling_moves_units_within_range,
    probe_quota_counts_larger_units_while_updating,
    probe_describe_fields,
    probe_token_replay_after_delete,
    *cfn.PROBES,
]
