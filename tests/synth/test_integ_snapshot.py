"""Synth tier: the integ test's committed snapshot is what the integ app synthesizes, checked offline.

The integ app (``integ/integ_comprehend_endpoint.py``) is what ``make integ-deploy`` deploys on a real
account; CI cannot deploy, so it checks what would be deployed: the committed snapshot must equal a fresh
synthesis (placeholder model), and that check must never reach AWS.
"""

from __future__ import annotations

import ast
import copy
import http.server
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from integ import deploy, snapshot

INTEG_RUNNER = snapshot.NODE_BIN / "integ-runner"
NODE = snapshot.NODE_BIN / "node"
DEFAULT_ASSERT = "ComprehendEndpointIntegDefaultTestDeployAssertED2B1289.template.json"


class Recorder(http.server.ThreadingHTTPServer):
    """Answers every request (direct, or a proxy CONNECT) with 403 and remembers it."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _record(self) -> None:
                recorder.requests.append(f"{self.command} {self.path} (Host: {self.headers.get('Host')})")
                self.send_response(403)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_CONNECT = _record

            def log_message(self, *_args: Any) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@dataclass
class Fresh:
    assembly: Path
    snapshot: snapshot.Snapshot
    canary_env: dict[str, str]
    recorder: Recorder
    requests_during_synth: list[str]


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Iterator[Fresh]:
    """One offline synthesis of the integ app, run from an environment where any AWS call would be seen:
    credentials are present, and every AWS endpoint and HTTP(S) proxy is a local recorder."""
    recorder = Recorder()
    thread = threading.Thread(target=recorder.serve_forever, daemon=True)
    thread.start()
    canary_env = {
        **{k: v for k, v in os.environ.items() if k.upper() != "NO_PROXY"},
        "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7CANARY0",
        "AWS_SECRET_ACCESS_KEY": "canary-secret",
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": recorder.url,
        "HTTPS_PROXY": recorder.url,
        "HTTP_PROXY": recorder.url,
        "https_proxy": recorder.url,
        "http_proxy": recorder.url,
        "MODEL_ARN": "arn:aws:comprehend:eu-west-1:123456789012:document-classifier/someone-elses-model",
    }
    assembly = tmp_path_factory.mktemp("integ") / "cdk.out"
    snapshot.synthesize(assembly, snapshot.offline_environment(canary_env))
    yield Fresh(assembly, snapshot.snapshot_of(assembly), canary_env, recorder, list(recorder.requests))
    recorder.shutdown()
    recorder.server_close()


def committed() -> snapshot.Snapshot:
    return snapshot.snapshot_of(snapshot.SNAPSHOT_DIR)


def test_the_committed_snapshot_is_what_the_integ_app_synthesizes(fresh):
    # GIVEN the committed snapshot and a fresh offline synthesis of the integ app
    # WHEN they are compared
    found = snapshot.differences(committed(), fresh.snapshot)
    # THEN nothing differs (neither the stacks under test nor the assertion stacks nor integ.json)
    if found:
        stale = "The integ snapshot is stale: run `make integ-snapshot`, review the diff, commit it."
        pytest.fail("\n".join([*found, stale]), pytrace=False)


def test_the_snapshot_check_sends_no_request_even_with_credentials_in_the_environment(fresh):
    # GIVEN credentials in the environment and a recorder behind every AWS endpoint and proxy
    # WHEN the check synthesized the integ app (the fixture)
    # THEN nothing was sent: no STS lookup, no deploy, no notices
    assert fresh.requests_during_synth == []
    # ... and the placeholder model was used even though MODEL_ARN was set
    assert "someone-elses-model" not in json.dumps(fresh.snapshot)


def test_the_recorder_sees_a_deploy_attempt_from_the_same_environment(fresh):
    # GIVEN the same environment (credentials, endpoints at the recorder) and the synthesized assembly
    before = len(fresh.recorder.requests)
    # WHEN the pinned CLI attempts a deploy from it, as make integ-deploy would
    run = deploy.cli(fresh.assembly, fresh.canary_env)
    with pytest.raises(deploy.CommandFailed):
        run(["deploy", "ComprehendEndpointCreate", "--require-approval", "never"])
    # THEN the recorder saw it: the silence above is the check's doing, not a blind recorder
    assert len(fresh.recorder.requests) > before, fresh.recorder.requests


def _alter_endpoint_name(files: snapshot.Snapshot) -> tuple[str, str, str]:
    props = files["Renamed.template.json"]["Resources"]["EndpointEEF1FD8F"]["Properties"]
    old, props["EndpointName"] = props["EndpointName"], "renamed-by-hand"
    return "Renamed.template.json", old, "renamed-by-hand"


def _alter_handler_code(files: snapshot.Snapshot) -> tuple[str, str, str]:
    name = "ComprehendEndpointCreate.template.json"
    resources = files[name]["Resources"]
    code = next(r for r in resources.values() if r["Type"] == "AWS::Lambda::Function")["Properties"]["Code"]
    old, code["S3Key"] = code["S3Key"], "0" * 64 + ".zip"
    return name, old, "0" * 64 + ".zip"


def _alter_expected_status(files: snapshot.Snapshot) -> tuple[str, str, str]:
    resources = files[DEFAULT_ASSERT]["Resources"]
    call = next(r for r in resources.values() if r["Type"].endswith("SdkCallComprehenddescribeEndpoint"))
    parts = call["Properties"]["expected"]["Fn::Join"][1]
    parts[-1] = parts[-1].replace('"Status":"IN_SERVICE"', '"Status":"CREATING"')
    return DEFAULT_ASSERT, "IN_SERVICE", "CREATING"


def _alter_workflow(files: snapshot.Snapshot) -> tuple[str, str, str]:
    case = files["integ.json"]["testCases"]["ComprehendEndpointInteg/DefaultTest"]
    case["cdkCommandOptions"]["destroy"]["enabled"] = True
    return "integ.json", '"enabled": false', '"enabled": true'


@pytest.mark.parametrize(
    "alter",
    [_alter_endpoint_name, _alter_handler_code, _alter_expected_status, _alter_workflow],
    ids=["stack-under-test", "handler-asset", "assertion", "test-workflow"],
)
def test_the_check_reports_a_snapshot_that_differs_in_one_value(fresh, tmp_path, alter):
    # GIVEN a copy of the committed snapshot with one value changed, written and read back as files
    files = copy.deepcopy(committed())
    name, old, new = alter(files)
    snapshot.write(files, tmp_path / "altered.snapshot")
    # WHEN the check compares it with the fresh synthesis
    found = snapshot.differences(snapshot.snapshot_of(tmp_path / "altered.snapshot"), fresh.snapshot)
    # THEN it reports that file alone, its diff showing the snapshot's value (-) and the app's (+)
    assert len(found) == 1, found
    assert found[0].startswith(f"{name} differs:")
    lines = found[0].splitlines()
    assert any(line.startswith("-") and new in line for line in lines), found[0]
    assert any(line.startswith("+") and old in line for line in lines), found[0]


def test_the_check_reports_a_stack_missing_from_the_snapshot_or_from_the_app(fresh):
    # GIVEN a snapshot without one template, and an app synthesis without another
    files = copy.deepcopy(committed())
    del files["Renamed.template.json"]
    synthesized = {k: v for k, v in fresh.snapshot.items() if k != DEFAULT_ASSERT}
    # WHEN they are compared
    found = snapshot.differences(files, synthesized)
    # THEN both are reported, by file
    assert found == [
        f"{DEFAULT_ASSERT}: in the snapshot, not synthesized any more",
        "Renamed.template.json: synthesized, not in the snapshot",
    ]


def test_the_snapshot_covers_every_stack_the_integ_run_deploys():
    # GIVEN the committed snapshot
    files = committed()
    cases = files["integ.json"]["testCases"].values()
    # WHEN the stacks its test cases deploy are listed
    deployed = {s for c in cases for s in c["stacks"]} | {c["assertionStack"] for c in cases}
    artifacts = files["manifest.json"]["artifacts"]
    templates = {
        a["displayName"]: a["properties"]["templateFile"]
        for a in artifacts.values()
        if "templateFile" in a.get("properties", {})
    }
    # THEN each has its template in the snapshot, and no bundled asset is committed
    assert deployed == set(templates)
    assert {templates[s] for s in deployed} <= set(files)
    assert not [p for p in snapshot.SNAPSHOT_DIR.iterdir() if p.name.startswith("asset.")]


def test_make_integ_deploy_uses_the_placeholder_the_integ_app_synthesizes_with():
    # GIVEN the integ app's source (read, not imported: importing it starts jsii)
    tree = ast.parse(snapshot.INTEG_APP.read_text())
    constants = {
        t.id: n.value.value
        for n in tree.body
        if isinstance(n, ast.Assign) and isinstance(n.value, ast.Constant)
        for t in n.targets
        if isinstance(t, ast.Name)
    }
    # THEN the deploy refuses exactly the placeholder the app falls back to
    assert constants["PLACEHOLDER_MODEL_ARN"] == deploy.PLACEHOLDER_MODEL_ARN


def run_integ_runner(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(NODE), str(INTEG_RUNNER), "--directory", "integ", "--language", "python", *args],
        cwd=snapshot.ROOT,
        env=snapshot.cli_environment(env or dict(os.environ)),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_integ_runner_discovers_the_integ_app_by_its_python_naming_rule():
    # GIVEN the pinned integ-runner (Python tests are files named integ_*.py)
    # WHEN it lists the tests under integ/
    result = run_integ_runner("--list")
    # THEN the integ app is the one test it finds
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["integ_comprehend_endpoint.py"]


def test_pinned_integ_runner_still_cannot_read_this_cloud_assembly(fresh):
    # GIVEN the pinned integ-runner in snapshot-only mode (no --update-on-failed, no --force: it deploys
    # nothing), from the environment where any AWS call would be recorded
    before = len(fresh.recorder.requests)
    # WHEN it checks the committed snapshot
    result = run_integ_runner(
        "--app", f"{sys.executable} {{filePath}}", "--no-update-on-failed", "--no-force", env=fresh.canary_env
    )
    # THEN it stops at the schema version (aws-cdk-lib 2.275.0 writes 55, it reads up to 53), sending nothing.
    # When this fails, the pinned integ-runner reads this assembly: let it run the snapshot check and
    # make integ-deploy instead of integ/snapshot.py and integ/deploy.py (see integ/deploy.py).
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "schema version mismatch" in output and "found 55.0.0" in output, output
    assert fresh.recorder.requests[before:] == []
