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

from collections.abc import Callable
from typing import Any

from comprehend_cr import contract
from integ.probes import cfn, policies
from integ.probes.target import BUSY, DENIED, Answer, ProbeResult, Target, Verdict, call, kind

LAG_LIMIT_S = 60.0
"""How long after an accepted UpdateEndpoint the change may stay invisible: the handler compares values,
not only statuses, and the lifecycle tests make the lag a minute long."""
LAG_POLL_S = 1.0
LIST_PAGE = 100
"""The ListEndpoints page size the loopback assumes when MaxResults is not given."""
TAG_LIMITS = (128, 256)
"""Tag key and value lengths the loopback accepts (the API model's); the developer guide says 127/255."""

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
    probe_describe_fields,
    probe_token_replay_after_delete,
    *cfn.PROBES,
]
