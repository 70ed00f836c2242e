"""Stack tier: the rehearsal tool (``comprehend-endpoint-rehearse``) on synthesized assemblies: what it
prints, what it flags, and its exit status. The CLI path with a pip-installed copy is in tests/consumer."""

from __future__ import annotations

import io
import json
import re

import aws_cdk as cdk
import pytest

import app as sample_app
from cdk_comprehend_endpoint import ComprehendEndpoint
from comprehend_loopback.rehearse import Quotas, Rehearsal, main
from tests.stack.conftest import Endpoint, Version, build


def sample(outdir, **context):
    app = cdk.App(outdir=str(outdir), context=context)
    sample_app.build_app(app)
    app.synth()
    return outdir


def rehearse(*versions, **kwargs):
    out = io.StringIO()
    report = Rehearsal(list(versions), out=out, **kwargs).run()
    return report, out.getvalue()


def test_the_sample_app_is_created_renamed_and_destroyed_with_the_overlap_reported(tmp_path):
    # GIVEN the sample app, and the same app with the endpoint renamed
    first = sample(tmp_path / "one")
    second = sample(tmp_path / "two", endpoint_name="renamed")
    # WHEN rehearsed
    report, printed = rehearse(first, second)
    # THEN it passed, said what the update replaced and for how long both billed, and left nothing
    assert report.ok, printed
    (replacement,) = report.replacements
    assert replacement.new_arn.endswith("/renamed")
    assert 17 * 60 <= replacement.overlap_s <= 20 * 60
    assert "both billed for 1" in printed and "/renamed" not in printed.split("replaced:")[0].split("Outputs:")[0]
    assert "ComprehendEndpointStack.EndpointArn = arn:aws:comprehend:" in printed
    assert "CREATE_COMPLETE" in printed and "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS" in printed
    assert report.left_billing == [] and report.failures == []
    # ... in plain words: no Python structure (a dict or list repr) reaches the user
    assert re.search(r"\{'|\['|\(\'", printed) is None


def test_a_plan_above_a_quota_fails_the_rehearsal_naming_the_quota(tmp_path):
    # GIVEN an app with two endpoints of 3 units, rehearsed against a quota of 5 units in all
    version = build(Version((Endpoint("A", "alpha", units=3), Endpoint("B", "beta", units=3))), tmp_path / "o")
    # WHEN rehearsed
    report, printed = rehearse(version.directory, quotas=Quotas(units_total=5))
    # THEN the second create fails like the service would, and the summary names the quota
    assert not report.ok
    assert any("ResourceLimitExceededException" in p for p in report.quota_problems), printed
    assert "rehearsal failed" in printed


def test_an_endpoint_the_stack_can_no_longer_delete_is_reported_as_left_billing(tmp_path):
    # GIVEN a stack whose endpoint loses its ownership tags outside the stack after the create
    version = build(Version((Endpoint("A", "alpha"),)), tmp_path / "o")

    def strip_tags(index, rehearsal):
        for endpoint in rehearsal.world.comprehend.endpoints.values():
            endpoint.tags.clear()

    # WHEN rehearsed through destroy
    report, printed = rehearse(version.directory, between=strip_tags)
    # THEN the destroy fails for it and the rehearsal fails, naming the endpoint still billing
    assert not report.ok
    assert report.left_billing == ["arn:aws:comprehend:us-east-1:111122223333:document-classifier-endpoint/alpha"]
    assert "left billing after destroy" in printed


def test_a_retained_endpoint_is_reported_but_does_not_fail(tmp_path):
    app = cdk.App(outdir=str(tmp_path / "o"))
    stack = cdk.Stack(app, "Keep", env=cdk.Environment(account="111122223333", region="us-east-1"))
    from cdk_comprehend_endpoint import ComprehendEndpoint

    ComprehendEndpoint(
        stack,
        "Kept",
        model_arn="arn:aws:comprehend:us-east-1:111122223333:document-classifier/news",
        endpoint_name="kept",
        removal_policy=cdk.RemovalPolicy.RETAIN,
    )
    app.synth()
    report, printed = rehearse(tmp_path / "o")
    assert report.ok and report.left_billing == []
    assert len(report.retained) == 1 and "retained by its DeletionPolicy" in printed


def test_the_cli_exits_2_on_something_that_is_not_a_cloud_assembly(tmp_path, capsys):
    assert main([str(tmp_path)]) == 2
    assert "not a cloud assembly" in capsys.readouterr().err


def test_the_cli_exits_2_on_an_assembly_without_comprehend_endpoints(tmp_path, capsys):
    (tmp_path / "manifest.json").write_text(
        json.dumps({"artifacts": {"S": {"type": "aws:cloudformation:stack", "properties": {}}}})
    )
    (tmp_path / "S.template.json").write_text(json.dumps({"Resources": {}}))
    assert main([str(tmp_path)]) == 2
    assert "no stack with a Custom::ComprehendEndpoint" in capsys.readouterr().err


@pytest.mark.parametrize("flags", [["--units-quota", "0"]])
def test_the_cli_exits_1_when_the_plan_fails(tmp_path, flags, capsys):
    first = sample(tmp_path / "one")
    assert main([str(first), *flags]) == 1
    assert "quota" in capsys.readouterr().out


def test_a_construct_id_rename_is_reported_as_a_removal_and_an_addition_that_billed_together(tmp_path):
    # GIVEN version 2 renames the construct (a new logical id) and drops a second endpoint
    first = build(Version((Endpoint("People", "people"), Endpoint("Spare", "spare"))), tmp_path / "one")
    second = build(Version((Endpoint("Person", "person"),)), tmp_path / "two")
    # WHEN rehearsed
    report, printed = rehearse(first.directory, second.directory)
    # THEN the summary says what was added and removed, and for how long the removed one billed alongside
    assert report.ok, printed
    assert [c.logical_id.startswith("Person") for c in report.added] == [True]
    assert sorted(c.arn.rsplit("/", 1)[1] for c in report.removed) == ["people", "spare"]
    assert "added: Shop/Person" in printed and "removed: Shop/People" in printed
    assert "billed alongside the added endpoint(s) for 1" in printed
    assert "nothing (every endpoint was updated in place)" not in printed


def test_an_update_that_fails_and_rolls_back_is_not_summarized_as_updated_in_place(tmp_path):
    # GIVEN version 2 renames the construct but keeps its fixed endpoint_name (the new resource's Create finds the
    # name taken by the old resource's endpoint, which it does not own)
    first = build(Version((Endpoint("People", "people"),)), tmp_path / "one")
    second = build(Version((Endpoint("Person", "people"),)), tmp_path / "two")
    # WHEN rehearsed
    report, printed = rehearse(first.directory, second.directory)
    # THEN the plan fails, and the summary says the update was rolled back, not that it changed endpoints in place
    assert not report.ok
    assert "nothing (the update failed and was rolled back: see below)" in printed
    assert "updated in place" not in printed


def test_the_handlers_logs_go_to_a_file_not_the_console(tmp_path, capfd):
    # GIVEN a plan that fails (the handler logs an error with a traceback)
    version = build(Version((Endpoint("A", "alpha", units=3),)), tmp_path / "o")
    report, printed = rehearse(version.directory, quotas=Quotas(units_per_endpoint=2))
    # THEN the console has the timeline and the summary only; the JSON log lines are in the log file
    out, err = capfd.readouterr()
    assert not report.ok
    assert "Traceback" not in printed + out + err and "{'message'" not in printed + out + err
    log = (version.directory / "comprehend-endpoint-rehearsal.log").read_text()
    assert '"answering FAILED"' in log and "ResourceLimitExceededException" in log
    assert f"the handler's JSON logs (what its CloudWatch log group would hold): {version.directory}" in printed


def test_the_cli_names_a_missing_directory_and_an_unknown_stack(tmp_path, capsys):
    assert main([str(tmp_path / "nowhere")]) == 2
    assert "nowhere does not exist" in capsys.readouterr().err
    version = build(Version((Endpoint("A", "alpha"),)), tmp_path / "o")
    assert main([str(version.directory), "--stack", "Nope"]) == 2
    assert "no stack named Nope (the assembly has Shop)" in capsys.readouterr().err


def test_without_a_dependency_of_the_rehearsal_the_cli_says_what_to_install(tmp_path, capsys, monkeypatch):
    from comprehend_loopback import rehearse as module

    # GIVEN a copy of the rehearsal whose dependencies are not all installed
    monkeypatch.setattr(module, "DEPENDENCIES", ("boto3", "a_module_that_is_not_installed"))
    # WHEN it runs, THEN it fails as a usage error naming the distribution to install
    assert main([str(tmp_path)]) == 2
    assert "pip install cdk-comprehend-endpoint-rehearse" in capsys.readouterr().err


def test_the_drill_plays_a_rename_at_cloudformations_worst_moments_and_passes(tmp_path, capsys):
    # GIVEN an app whose next version renames its endpoint
    first, second = tmp_path / "one", tmp_path / "two"
    build(Version((Endpoint("Alpha", "alpha"),)), first)
    build(Version((Endpoint("Alpha", "alpha-2"),)), second)
    # WHEN rehearsed with --drill
    status = main([str(first), str(second), "--drill"])
    printed = capsys.readouterr().out
    # THEN every drill (a sibling failing mid-rename, a late rollback, a retried deployment) passed: only the
    # stack's endpoints billed, every request answered, nothing left after destroy
    assert status == 0, printed
    for scenario in ("sibling-fails", "late-rollback", "retried"):
        assert f" ✅  {scenario} (Shop): only the stack's endpoints billed" in printed
    assert "❌" not in printed


def test_a_drill_finding_an_endpoint_left_billing_reports_it(tmp_path):
    # GIVEN a rename, and a world where no endpoint can ever be deleted (the service refuses every DeleteEndpoint)
    from comprehend_loopback.drill import SCENARIOS, run_drills

    first, second = tmp_path / "one", tmp_path / "two"
    template_one = build(Version((Endpoint("Alpha", "alpha"),)), first)
    template_two = build(Version((Endpoint("Alpha", "alpha-2"),)), second)

    def refusing_deletes(world):
        world.comprehend.add_model("arn:aws:comprehend:us-east-1:111122223333:document-classifier/news")
        world.aws.faults.errors["DeleteEndpoint"] = ["ValidationException"] * 1000

    late = [s for s in SCENARIOS if s.name == "late-rollback"]
    (result,) = run_drills(
        [template_one], [template_two], refusing_deletes, account="111122223333", region="us-east-1", scenarios=late
    )
    # THEN the drill reports the endpoints left billing
    assert not result.ok
    assert any("left billing after destroy" in p for p in result.problems)


def test_the_drill_needs_the_next_assembly(tmp_path, capsys):
    build(Version((Endpoint("Alpha", "alpha"),)), tmp_path / "one")
    assert main([str(tmp_path / "one"), "--drill"]) == 2
    assert "--drill replays an update: give the next cloud assembly too" in capsys.readouterr().err


def test_an_endpoint_a_rename_keeps_by_retain_is_reported_as_kept_not_as_left_billing(tmp_path, capsys):
    # GIVEN an app with removal_policy=RETAIN whose next version renames its endpoint (CloudFormation keeps the old
    # one: UpdateReplacePolicy Retain), found by trying the product as a new user
    first, second = tmp_path / "one", tmp_path / "two"
    for outdir, name in ((first, "news"), (second, "news-v2")):
        app = cdk.App(outdir=str(outdir))
        stack = cdk.Stack(app, "Nlp", env=cdk.Environment(account="111122223333", region="us-east-1"))
        ComprehendEndpoint(
            stack,
            "Classifier",
            model_arn="arn:aws:comprehend:us-east-1:111122223333:document-classifier/news",
            endpoint_name=name,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        app.synth()
    # WHEN rehearsed and drilled
    status = main([str(first), str(second), "--drill"])
    printed = capsys.readouterr().out
    # THEN the kept endpoint is reported as retained by choice, never as a failure, in the rehearsal and the drills
    assert status == 0, printed
    assert "retained by its DeletionPolicy" in printed and "news" in printed
    assert "❌" not in printed
