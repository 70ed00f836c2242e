"""Probes tier: the probes of AWS behaviour (integ/probes), run against the loopback world: every probe comes out
"confirmed" there (each loopback assumption is tied to the probe that would refute it), a loopback made
to behave otherwise refutes them, and the CLI refuses to start without credentials or a model and runs
end to end, leaving nothing behind. The loopback's virtual clock makes every wait free."""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import boto3

from comprehend_loopback import comprehend as fake
from comprehend_loopback.autoscaling import FakeApplicationAutoScaling
from comprehend_loopback.comprehend import ACCOUNT, REGION
from integ.probes import cfn, policies, probes
from integ.probes.__main__ import main
from integ.probes.cfn import LoopbackRecordings
from integ.probes.runner import Report, estimate, run
from integ.probes.target import LoopbackPrincipals, Target, admin_target

ROOT = Path(__file__).resolve().parents[2]
CLASSIFIER = f"arn:aws:comprehend:{REGION}:{ACCOUNT}:document-classifier/probe-news"
RECOGNIZER = f"arn:aws:comprehend:{REGION}:{ACCOUNT}:entity-recognizer/probe-people"
FAILING = f"arn:aws:comprehend:{REGION}:{ACCOUNT}:document-classifier/probe-broken"
NEWER = f"arn:aws:comprehend:{REGION}:{ACCOUNT}:document-classifier/probe-news/version/v2"
FLYWHEEL = f"arn:aws:comprehend:{REGION}:{ACCOUNT}:flywheel/probe-news-flywheel"
PREFIX = "probe-test"
QUOTA_UNITS = 130
"""The loopback region's inference-unit quota in the probe tests: room for the other people's endpoints (101
units) and the probes' own, small enough that the quota probe fills it with three endpoints."""
NOTHING_LEFT: dict[str, list[str]] = {"endpoints": [], "roles": [], "stacks": [], "records": [], "scalable_targets": []}


def target_in(world) -> Target:
    return admin_target(
        boto3.session.Session(region_name=REGION),
        model_arn=CLASSIFIER,
        prefix=PREFIX,
        clock=world.clock,
        principals=LoopbackPrincipals(world.aws, REGION, ACCOUNT),
        other_model_arn=RECOGNIZER,
        failing_model_arn=FAILING,
        recordings=LoopbackRecordings(world, PREFIX),
        flywheel_arn=FLYWHEEL,
        quota_max_units=QUOTA_UNITS,
    )


def run_probes(world, selected) -> Report:
    report = Report(PREFIX, REGION, {"model": CLASSIFIER}, estimate(other_model=True, failing_model=True))
    return run(target_in(world), selected, report, lambda line: None)


def probe_endpoints(world) -> list[str]:
    return [arn for arn in world.comprehend.endpoints if arn.rsplit("/", 1)[1].startswith(PREFIX)]


def test_every_probe_is_confirmed_on_the_loopback_and_leaves_nothing(world):
    # GIVEN the loopback world, which models every assumption the probes check
    # WHEN every probe runs, in the runner's order
    report = run_probes(world, probes.PROBES)
    # THEN each is confirmed, and no endpoint or principal of the probes is left
    verdicts = {r.name: r.verdict for r in report.results}
    assert verdicts == {p.__name__.removeprefix("probe_"): "confirmed" for p in probes.PROBES}, [
        (r.name, r.evidence) for r in report.results if r.verdict != "confirmed"
    ]
    assert report.left == NOTHING_LEFT
    assert probe_endpoints(world) == []
    assert [key for key in world.aws.principals if key.startswith(PREFIX)] == []
    # AND the probes made the endpoints they say, the restricted roles were really held to their policy
    made = [arn.rsplit("/", 1)[1] for arn in world.comprehend.creates]
    # (the quota probe's endpoint and the two fillers the quota took: 101 + 1 units elsewhere, A 2 while it
    # updates, 10 + 10 more leave 130 - 124 = 6, so the last filler's 7 units are refused; the last shared one:
    # the token replayed after the deletion created a new endpoint)
    assert made == [
        *(f"{PREFIX}-{name}" for name in ("shared", "shared", "failed", "quota", "fill0", "fill1", "shared")),
    ]
    # AND the scheduled action scaled the shared endpoint back from 2 units to 1, and was removed with its target
    (activity,) = world.autoscaling.activities
    assert (activity.resource_id.rsplit("/", 1)[1], activity.units) == (f"{PREFIX}-shared", 1)
    assert world.autoscaling.actions == {} and world.scaling_targets == {}
    assert {action for _, action, _ in world.aws.denied} >= {
        "comprehend:DescribeEndpoint",
        "comprehend:UpdateEndpoint",
        "comprehend:DeleteEndpoint",
        "comprehend:TagResource",
        "comprehend:UntagResource",
        "comprehend:ListTagsForResource",
    }


def test_a_status_lag_beyond_a_minute_refutes_the_lag_probe_and_names_what_depends_on_it(world, tmp_path):
    # GIVEN a loopback whose accepted updates show as UPDATING only after five minutes
    world.comprehend.timing.status_lag_s = 300
    # WHEN the lag probe runs
    report = run_probes(world, [probes.probe_update_status_lag])
    # THEN it is refuted, and the report says which loopback rule, handler behaviour and documented line rely on it
    (result,) = report.results
    assert result.verdict == "refuted"
    assert result.evidence["lag_s"] is None
    markdown = report.as_markdown()
    assert "## Refuted: what must change" in markdown
    assert "Timing.status_lag_s" in markdown
    assert "docs/verification.md" in markdown
    assert report.left == NOTHING_LEFT


def test_a_scaler_that_leaves_the_registered_range_refutes_the_autoscaling_probe(world, monkeypatch):
    # GIVEN a loopback whose scheduled actions set one unit more than their maximum (as if the scaler ignored it)
    def beyond(self, action):
        self._scale(action.resource_id, action.dimension, int(action.max_capacity) + 1, "a scaler out of bounds")

    monkeypatch.setattr(FakeApplicationAutoScaling, "_fire", beyond)
    # WHEN the autoscaling probe runs (on the shared endpoint of 1 unit, scheduling [2, 2])
    report = run_probes(world, [probes.probe_autoscaling_moves_units_within_range])
    # THEN it is refuted: the units went to 3, outside [1, 2]; the action and the target were removed all the same
    (result,) = report.results
    assert result.verdict == "refuted"
    assert result.evidence["values_seen"] == [1, 3]
    assert result.evidence["checks"] == {
        "DesiredInferenceUnits moved to 2": False,
        "IN_SERVICE with 2 units after": False,
        "never outside [1, 2]": False,
    }
    assert result.evidence["cleanup"]["left"] == []
    assert report.left == NOTHING_LEFT


def test_the_autoscaling_probe_confirms_a_scheduled_action_that_moves_the_units(world):
    # GIVEN the loopback, whose scheduled actions fire on its virtual clock
    # WHEN the autoscaling probe runs alone (the shared endpoint at 1 unit)
    (result,) = run_probes(world, [probes.probe_autoscaling_moves_units_within_range]).results
    # THEN it is confirmed: 1 -> 2 units, a minute after the action was put (rounded up to the second), polled
    # no more often than every 5 s, with the activity as evidence
    assert result.verdict == "confirmed", result.evidence
    assert (result.evidence["units_before"], result.evidence["goal"], result.evidence["values_seen"]) == (1, 2, [1, 2])
    assert 0 <= result.evidence["moved_s_after_schedule"] < probes.SCALING_POLL_S
    assert result.evidence["activities"][0]["Description"] == "Setting desired inference units to 2."
    times = [p["t"] for p in result.evidence["polls"]]
    assert all(b - a >= probes.SCALING_POLL_S for a, b in itertools.pairwise(times))


def test_a_quota_that_counts_only_current_units_refutes_the_quota_probe_and_leaves_nothing(world, monkeypatch):
    # GIVEN a loopback whose regional quota counts an updating endpoint's current units only
    monkeypatch.setattr(fake.FakeComprehend, "total_units", lambda self: sum(e.units for e in self.endpoints.values()))
    # WHEN the quota probe runs
    report = run_probes(world, [probes.probe_quota_counts_larger_units_while_updating])
    # THEN it is refuted: the last filler was accepted while A was updating, and every endpoint it made is gone
    (result,) = report.results
    assert result.verdict == "refuted", result.evidence
    assert result.evidence["fillers_asked"][-1]["code"] == "OK"
    assert result.evidence["A_status_after_fillers"] == "UPDATING"
    assert report.left == NOTHING_LEFT
    assert probe_endpoints(world) == []


def test_the_quota_probe_fills_nothing_above_the_maximum_it_is_given(world):
    # GIVEN a target that may fill at most 100 units, in a region whose quota is 130
    target = target_in(world)
    target.quota_max_units = 100
    # WHEN the quota probe runs
    result = probes.probe_quota_counts_larger_units_while_updating(target)
    # THEN it is inconclusive, says what the quota is and what filling it would cost, and created nothing
    assert result.verdict == "inconclusive"
    assert result.evidence["quotas"]["units per region"]["value"] == QUOTA_UNITS
    assert "QUOTA_PROBE_MAX_UNITS=100" in result.evidence["why"] and "$" in result.evidence["why"]
    assert world.comprehend.creates == []


def test_a_smaller_list_page_refutes_the_page_size_probe(world, monkeypatch):
    # GIVEN a loopback whose ListEndpoints pages hold 50 endpoints
    monkeypatch.setattr(fake, "LIST_PAGE", 50)
    # WHEN the page-size probe runs
    (result,) = run_probes(world, [probes.probe_list_endpoints_default_page]).results
    # THEN it is refuted with the size seen
    assert (result.verdict, result.evidence["count"], result.evidence["next_token"]) == ("refuted", 50, True)


def test_a_probe_expecting_the_developer_guides_tag_limits_is_refuted(world, monkeypatch):
    # GIVEN the tag-limit probe made to expect 127/255 (the developer guide) while the loopback takes 128/256
    monkeypatch.setattr(probes, "TAG_LIMITS", (127, 255))
    # WHEN it runs
    (result,) = run_probes(world, [probes.probe_tag_limits]).results
    # THEN it is refuted: a 128-character key was accepted
    assert result.verdict == "refuted"
    assert result.evidence["checks"]["key 128 refused"] is False


def test_a_service_taking_requests_that_break_its_model_refutes_the_model_probe_and_leaves_nothing(world, monkeypatch):
    # GIVEN a loopback Comprehend that does not hold CreateEndpoint requests to its service model
    validate = fake.FakeComprehend.validate

    def lenient(self, operation, req):
        if operation != "CreateEndpoint":
            validate(self, operation, req)

    monkeypatch.setattr(fake.FakeComprehend, "validate", lenient)
    # WHEN the malformed-request probe runs
    report = run_probes(world, [probes.probe_model_violations_refused])
    # THEN it is refuted: the CreateEndpoint with a malformed token made an endpoint, which the probe deleted
    (result,) = report.results
    assert result.verdict == "refuted"
    checks = result.evidence["checks"]
    assert checks["CreateEndpoint(ClientRequestToken ending in '!'): InvalidRequest"] is False
    assert checks["CreateEndpoint made nothing"] is False
    assert [arn.rsplit("/", 1)[1] for arn in world.comprehend.creates] == [f"{PREFIX}-bad-token"]
    assert report.left == NOTHING_LEFT
    assert probe_endpoints(world) == []


def test_a_service_keeping_the_model_on_a_flywheel_update_refutes_the_flywheel_probe(world, monkeypatch):
    # GIVEN a loopback whose UpdateEndpoint with a FlywheelArn keeps the endpoint's current model
    update = fake.FakeComprehend.UpdateEndpoint

    def keeps_model(self, req):
        flywheel = self.flywheels.get(req.get("FlywheelArn", ""))
        if flywheel is not None and "DesiredModelArn" not in req:
            req = {**req, "DesiredModelArn": self._get(req["EndpointArn"]).model_arn}
        return update(self, req)

    monkeypatch.setattr(fake.FakeComprehend, "UpdateEndpoint", keeps_model)
    # WHEN the flywheel probe runs
    report = run_probes(world, [probes.probe_update_takes_flywheel_model])
    # THEN it is refuted: the desired model is not the flywheel's active one
    (result,) = report.results
    assert result.verdict == "refuted"
    assert result.evidence["checks"]["answered DesiredModelArn: the active model"] is False
    assert result.evidence["after"]["DesiredModelArn"] == CLASSIFIER
    assert report.left == NOTHING_LEFT


def test_a_service_taking_an_empty_flywheel_arn_refutes_the_removal_probe(world, monkeypatch):
    # GIVEN a loopback that lets an UpdateEndpoint with an empty FlywheelArn through its model check and removes
    # the flywheel with it
    validate, update = fake.FakeComprehend.validate, fake.FakeComprehend.UpdateEndpoint

    def lenient(self, operation, req):
        if not (operation == "UpdateEndpoint" and req.get("FlywheelArn") == ""):
            validate(self, operation, req)

    def removes(self, req):
        if req.get("FlywheelArn") == "":
            self._get(req["EndpointArn"]).flywheel = None
            return update(self, {k: v for k, v in req.items() if k != "FlywheelArn"})
        return update(self, req)

    monkeypatch.setattr(fake.FakeComprehend, "validate", lenient)
    monkeypatch.setattr(fake.FakeComprehend, "UpdateEndpoint", removes)
    # WHEN the flywheel probe, then the removal probe run
    report = run_probes(world, [probes.probe_update_takes_flywheel_model, probes.probe_no_removal_in_place])
    # THEN the first is confirmed, the second refuted: the flywheel was removed in place
    assert [r.verdict for r in report.results] == ["confirmed", "refuted"]
    checks = report.results[1].evidence["checks"]
    assert checks["UpdateEndpoint(FlywheelArn ''): InvalidRequest"] is False
    assert checks["the flywheel kept"] is False
    assert report.left == NOTHING_LEFT


def test_the_tag_condition_probe_is_refuted_when_a_role_ignores_the_condition(world, monkeypatch):
    # GIVEN the construct's policy without its aws:ResourceTag condition (as if IAM did not enforce it)
    def unconditioned(partition, region, account, stack_id):
        statements = policies.construct_statements(partition, region, account, stack_id)
        return {
            "Version": "2012-10-17",
            "Statement": [{k: v for k, v in s.items() if k != "Condition"} for s in statements],
        }

    monkeypatch.setattr(policies, "construct_policy", unconditioned)
    # WHEN the tag-condition probe runs
    (result,) = run_probes(world, [probes.probe_tag_condition_enforced]).results
    # THEN it is refuted: the other stack's role reached the endpoint
    assert result.verdict == "refuted"
    assert result.evidence["other_stack"]["DescribeEndpoint"]["code"] == "OK"


def test_the_probe_policy_is_the_policy_the_construct_synthesizes(tmp_path):
    # GIVEN a stack with one endpoint, synthesized
    import aws_cdk as cdk

    from cdk_comprehend_endpoint import ComprehendEndpoint

    app = cdk.App(outdir=str(tmp_path / "cdk.out"))
    stack = cdk.Stack(app, "Probe", env=cdk.Environment(account=ACCOUNT, region=REGION))
    ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER, endpoint_name="news")
    template = app.synth().get_stack_by_name("Probe").template
    (policy,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::Policy"]
    # WHEN its endpoint statements are compared with the probes' policy, pseudo parameters kept as placeholders
    synthesized = {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s.get("Sid") in SIDS}
    ours = {
        s["Sid"]: s
        for s in policies.construct_statements("${AWS::Partition}", "${AWS::Region}", "${AWS::AccountId}", "STACK")
    }
    # THEN actions, resources and conditions are the same
    assert set(synthesized) == SIDS
    for sid, statement in synthesized.items():
        expected = ours[sid]
        assert statement["Action"] == expected["Action"]
        assert statement["Effect"] == "Allow"
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        assert [r["Fn::Sub"] if isinstance(r, dict) else r for r in resources] == (
            expected["Resource"] if isinstance(expected["Resource"], list) else [expected["Resource"]]
        )
        condition = json.loads(json.dumps(statement.get("Condition", {})).replace('{"Ref": "AWS::StackId"}', '"STACK"'))
        assert condition == expected.get("Condition", {})


SIDS = {"ManageEndpointsThisStackOwns", "TagEndpointsThisStackOwnsButNotTheirOwnership", "TellGoneFromNotOurs"}


def test_the_cli_refuses_to_start_without_credentials_and_makes_no_call(world, tmp_path):
    # GIVEN an environment where botocore finds no credentials, and a loopback to notice any call
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= {
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "ENDPOINT_URL": world.aws.url,
        "MODEL_ARN": CLASSIFIER,
    }
    # WHEN the CLI runs
    done = subprocess.run(
        [sys.executable, "-m", "integ.probes", "--out", str(tmp_path / "out")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # THEN it exits 2, says what is missing, and made no call and no report
    assert done.returncode == 2, done.stderr
    assert "no AWS credentials found" in done.stderr
    assert sum(world.aws.calls.values()) == 0
    assert not (tmp_path / "out").exists()


def test_make_probe_refuses_without_model_arn_before_any_set_up():
    # GIVEN no MODEL_ARN in the environment or on the command line
    env = {k: v for k, v in os.environ.items() if k not in ("MODEL_ARN", "MAKEFLAGS", "MAKELEVEL")}
    # WHEN the Makefile target runs
    done = subprocess.run(
        ["make", "--no-print-directory", "probe"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    # THEN it stops at once, naming what is missing
    assert done.returncode == 2
    assert "MODEL_ARN" in done.stderr
    assert "integ.probes" not in done.stdout


def test_the_cli_refuses_to_start_without_a_model(world, tmp_path, capsys):
    # GIVEN credentials (the loopback's) but no MODEL_ARN
    # WHEN the CLI runs
    code = main(["--endpoint-url", world.aws.url, "--out", str(tmp_path / "out"), "--model-arn", ""])
    # THEN it exits 2 naming MODEL_ARN, having made no call
    assert code == 2
    assert "MODEL_ARN is missing" in capsys.readouterr().err
    assert sum(world.aws.calls.values()) == 0


def test_the_cli_refuses_to_start_with_a_flywheel_arn_that_is_not_one(world, tmp_path, capsys):
    # GIVEN a model and, as FLYWHEEL_ARN, a model's ARN
    # WHEN the CLI runs
    argv = ["--endpoint-url", world.aws.url, "--out", str(tmp_path / "out"), "--model-arn", CLASSIFIER]
    code = main([*argv, "--flywheel-arn", NEWER])
    # THEN it exits 2 naming FLYWHEEL_ARN, having made no call
    assert code == 2
    assert "FLYWHEEL_ARN is not a Comprehend flywheel ARN" in capsys.readouterr().err
    assert sum(world.aws.calls.values()) == 0


def test_the_cli_runs_end_to_end_on_the_loopback_and_writes_the_report(world, tmp_path, capsys):
    # GIVEN the loopback world and its endpoint URL
    out = tmp_path / "report"
    # WHEN the CLI runs every probe there
    code = main(
        [
            "--model-arn", CLASSIFIER,
            "--other-model-arn", RECOGNIZER,
            "--failing-model-arn", FAILING,
            "--flywheel-arn", FLYWHEEL,
            "--endpoint-url", world.aws.url,
            "--out", str(out),
            "--prefix", PREFIX,
            "--quota-max-units", str(QUOTA_UNITS),
        ],
        world=world,
    )  # fmt: skip
    # THEN it printed the cost first (an upper bound, with the quota probe's fillers) and a line per probe,
    # succeeded, and wrote both reports
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("Expected: 5 endpoint(s) (fillers of up to 130 units)") and "at most" in printed[0]
    assert sum(line.startswith("[") for line in printed) == len(probes.PROBES)
    assert code == 0
    report = json.loads((out / "probe-report.json").read_text())
    assert report["counts"] == {"confirmed": len(probes.PROBES), "refuted": 0, "inconclusive": 0}
    assert "| `tag_condition_enforced` | confirmed |" in (out / "probe-report.md").read_text()
    # AND nothing is left: no endpoint, no principal ("role")
    assert report["left_behind"] == NOTHING_LEFT
    assert probe_endpoints(world) == []
    assert [key for key in world.aws.principals if key.startswith(PREFIX)] == []


def test_the_estimate_counts_each_endpoint_the_models_allow():
    # GIVEN the three ways to run (one model, two types, and a failing model too)
    alone, two, three = (
        estimate(other_model=o, failing_model=f) for o, f in ((False, False), (True, False), (True, True))
    )
    # THEN more models mean more endpoints, time and money, at the list price
    assert (alone.endpoints, two.endpoints, three.endpoints) == (1, 2, 3)
    assert alone.dollars < two.dollars < three.dollars
    assert alone.dollars == round(alone.unit_seconds * 0.0005, 2)


def test_a_role_whose_policy_never_takes_effect_makes_the_probe_inconclusive_not_confirmed(world, monkeypatch):
    # GIVEN principals that stay refused everything (as a role whose policy IAM has not propagated)
    make = LoopbackPrincipals.make

    def never_effective(self, name, policy):
        client = make(self, name, policy)
        world.aws.principals[name].policies = {}
        return client

    monkeypatch.setattr(LoopbackPrincipals, "make", never_effective)
    # WHEN the tag-condition probe runs (its "other stack" refusals would otherwise look like a confirmation)
    report = run_probes(world, [probes.probe_tag_condition_enforced])
    # THEN it is inconclusive with the reason, and the session still removed the endpoint and the principals
    (result,) = report.results
    assert result.verdict == "inconclusive"
    assert "still refused" in result.evidence["error"]
    assert report.left == NOTHING_LEFT
    assert probe_endpoints(world) == []


def test_the_cli_runs_only_the_probes_named_with_only(world, tmp_path, capsys):
    # GIVEN the loopback world
    # WHEN the CLI is asked for one probe
    code = main(
        ["--model-arn", CLASSIFIER, "--endpoint-url", world.aws.url, "--out", str(tmp_path), "--only", "tag_limits"],
        world=world,
    )
    # THEN only that probe ran, and the shared endpoint it needed is gone afterwards
    report = json.loads((tmp_path / "probe-report.json").read_text())
    assert code == 0
    assert [r["name"] for r in report["results"]] == ["tag_limits"]
    assert report["left_behind"] == NOTHING_LEFT
    assert [arn for arn in world.comprehend.endpoints if "probe-" in arn] == []


def test_without_the_model_every_probe_is_inconclusive_and_the_endpoint_is_tried_once(world, tmp_path):
    # GIVEN a model ARN the account does not have
    missing = f"arn:aws:comprehend:{REGION}:{ACCOUNT}:document-classifier/probe-nowhere"
    # WHEN the CLI runs every probe
    code = main(["--model-arn", missing, "--endpoint-url", world.aws.url, "--out", str(tmp_path)], world=world)
    # THEN nothing is refuted, each endpoint probe says why it saw nothing (only the CloudFormation probes and the
    # malformed-request probe, which need no model, are confirmed), and CreateEndpoint of the shared endpoint was
    # tried once by the restricted role and once by the caller, not again by every probe (the third CreateEndpoint
    # is the malformed request, refused before the model is looked up)
    report = json.loads((tmp_path / "probe-report.json").read_text())
    assert code == 0
    assert report["counts"]["refuted"] == 0
    needless = {p.__name__.removeprefix("probe_") for p in cfn.PROBES} | {"model_violations_refused"}
    assert {r["name"] for r in report["results"] if r["verdict"] == "confirmed"} == needless
    assert world.aws.calls["CreateEndpoint"] == 3
    assert "could not be created" in (tmp_path / "probe-report.md").read_text()


def _plain(text: str) -> str:
    return " ".join(text.replace("`", "").split())


def test_every_probe_says_what_depends_on_it():
    # GIVEN the probes and the table of what depends on each
    names = [p.__name__.removeprefix("probe_") for p in probes.PROBES]
    # THEN every probe has entries, naming a loopback file, and the table has no entry for a probe that is gone
    assert set(probes.DEPENDS_ON) == set(names)
    for name in names:
        assert any(d.startswith("loopback/comprehend_loopback/") for d in probes.DEPENDS_ON[name]), name


def test_every_quoted_assumption_a_probe_depends_on_is_still_where_it_says():
    # GIVEN every depends_on entry that quotes a file ('...' at its end; "..." marks a cut)
    quoted = [
        (match[1], match[2])
        for entries in probes.DEPENDS_ON.values()
        for entry in entries
        if (match := re.match(r"^(\S+\.(?:py|md))[^']*'(.+)'$", entry))
    ]
    # THEN each quoted passage is still in the file it names, word for word (backticks and line breaks aside)
    assert len(quoted) >= 10
    for path, quote in quoted:
        text = _plain((ROOT / path).read_text())
        for fragment in quote.split("..."):
            assert _plain(fragment.strip(" :")) in text, f"{path} no longer says {fragment.strip()!r}"


def test_a_failed_clean_up_is_reported_with_what_is_left(world, monkeypatch):
    # GIVEN a session whose final clean-up fails (the account became unreachable, say)
    def broken_close(self):
        raise RuntimeError("connection lost")

    monkeypatch.setattr(Target, "close", broken_close)
    # WHEN a probe that needs the shared endpoint runs
    report = run_probes(world, [probes.probe_aws_tag_keys_refused])
    # THEN the report still comes back, not ok, naming the failure and the endpoint still there
    assert report.results[0].verdict == "confirmed"
    assert report.left["clean_up_failed"] == ["RuntimeError: connection lost"]
    assert report.left["endpoints"] == [
        f"arn:aws:comprehend:{REGION}:{ACCOUNT}:document-classifier-endpoint/{PREFIX}-shared"
    ]
    assert not report.ok
    assert "connection lost" in report.as_markdown()


def test_a_shared_endpoint_deleted_by_surprise_is_replaced_for_the_next_probes(world, monkeypatch):
    # GIVEN a loopback that lets a CREATING endpoint be deleted (as if the assumption were wrong)
    def delete_whenever(self, req):
        endpoint = self._get(req["EndpointArn"])
        endpoint.status, endpoint.until = "DELETING", self._now() + self.timing.delete_s
        return {}

    monkeypatch.setattr(fake.FakeComprehend, "DeleteEndpoint", delete_whenever)
    # WHEN the busy probe runs, then a probe that needs the shared endpoint
    report = run_probes(world, [probes.probe_busy_refusals_while_creating, probes.probe_aws_tag_keys_refused])
    # THEN the first is refuted, the second still confirmed (on a new shared endpoint), and both are removed
    assert [r.verdict for r in report.results] == ["refuted", "confirmed"]
    assert [arn.rsplit("/", 1)[1] for arn in world.comprehend.creates] == [f"{PREFIX}-shared", f"{PREFIX}-shared1"]
    assert report.left == NOTHING_LEFT
    assert probe_endpoints(world) == []


def test_the_cost_table_in_the_docs_is_the_estimate_the_cli_prints():
    # GIVEN the table of docs/probes.md (one row per set of models given)
    rows = re.findall(
        r"\| (\d) \| about (\d+) minutes \| about \$(\d+\.\d\d) \|", (ROOT / "docs/probes.md").read_text()
    )
    # THEN each row is what estimate() prints for that many models
    printed = [estimate(other_model=o, failing_model=f) for o, f in ((False, False), (True, False), (True, True))]
    assert rows == [(str(e.endpoints), str(e.minutes), f"{e.dollars:.2f}") for e in printed]


def test_a_flywheel_adds_one_update_of_the_shared_endpoint_to_the_estimate():
    # GIVEN the estimate without and with a flywheel
    without = estimate(other_model=False, failing_model=False)
    with_flywheel = estimate(other_model=False, failing_model=False, flywheel=True)
    # THEN the flywheel adds one update of the shared endpoint (10 minutes at 1 unit), as docs/probes.md says
    assert (with_flywheel.minutes - without.minutes, with_flywheel.unit_seconds - without.unit_seconds) == (10, 600)
    assert "10 minutes and $0.30 more" in _plain((ROOT / "docs/probes.md").read_text())
    assert round(with_flywheel.dollars - without.dollars, 2) == 0.30


def test_every_probe_is_in_the_probe_docs_and_the_verified_list():
    # GIVEN every probe the runner runs
    names = [p.__name__.removeprefix("probe_") for p in probes.PROBES]
    # THEN each is named in docs/probes.md's table and in docs/verification.md
    for doc in ("docs/probes.md", "docs/verification.md"):
        text = (ROOT / doc).read_text()
        assert [n for n in names if f"`{n}`" not in text] == [], doc
