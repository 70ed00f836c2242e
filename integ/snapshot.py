"""The integ app's snapshot: synthesized with the pinned CDK CLI, normalized, compared, written.

    python -m integ.snapshot update   # rewrite integ_comprehend_endpoint.py.snapshot/ (make integ-snapshot)

``tests/synth/test_integ_snapshot.py`` fails, with the differences, while the committed snapshot is stale.

The snapshot sits where integ-runner keeps it (``<integ file>.snapshot/``) and holds the cloud assembly's
JSON files: every stack's template (the stacks under test *and* the assertion stacks), asset manifests,
``manifest.json``, ``integ.json`` (the test cases) and ``tree.json``. It leaves out the bundled asset
directories (their hashes are in the templates and asset manifests, so a change to the handler still shows)
and the validation report. Two values change on every synthesis and are replaced by fixed text:
the ``salt`` that integ-tests gives each assertion (``Date.now()``, so assertions rerun on every deploy)
and, following from it, the hashes of the template files (and of their upload destinations) in the asset
manifests and ``manifest.json``; the templates themselves are compared.

Synthesis never calls AWS: the CLI looks up the default account (STS) whenever it finds credentials, so
it runs here without any: no ``AWS_*`` variables, no config or credentials file, no instance metadata.
The integ stacks are environment-agnostic, so nothing they synthesize depends on the account.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
INTEG_APP = ROOT / "integ" / "integ_comprehend_endpoint.py"
SNAPSHOT_DIR = INTEG_APP.with_name(INTEG_APP.name + ".snapshot")
NODE_BIN = ROOT / "node_modules" / ".bin"
CDK = NODE_BIN / "cdk"
SALT = "<salt: Date.now() at synthesis>"
LEFT_OUT = frozenset({"validation-report.json"})
_DESTINATION_HASH = re.compile(r"-[0-9a-f]{8}$")
_NO_FILE = str(ROOT / "integ" / ".no-aws-config-here")

Snapshot = dict[str, Any]


def offline_environment(base: Mapping[str, str]) -> dict[str, str]:
    """``base`` without AWS credentials, profile, endpoints or region, and without ``MODEL_ARN``."""
    env = {k: v for k, v in base.items() if not k.startswith("AWS_") and k != "MODEL_ARN"}
    env.update(AWS_CONFIG_FILE=_NO_FILE, AWS_SHARED_CREDENTIALS_FILE=_NO_FILE, AWS_EC2_METADATA_DISABLED="true")
    return env


def cli_environment(base: Mapping[str, str]) -> dict[str, str]:
    """``base`` with the project's Node 22 first on PATH (for the CLI and jsii) and no CLI telemetry."""
    env = dict(base)
    env["PATH"] = f"{NODE_BIN}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("JSII_NODE", str(NODE_BIN / "node"))
    env["CDK_DISABLE_CLI_TELEMETRY"] = "true"
    return env


def synthesize(outdir: Path, env: Mapping[str, str]) -> Path:
    """``cdk synth`` of the integ app into ``outdir`` with the pinned CLI, in ``env`` exactly."""
    app = f"{shlex.quote(sys.executable)} {shlex.quote(str(INTEG_APP.relative_to(ROOT)))}"
    result = subprocess.run(
        [str(CDK), "synth", "--quiet", "--app", app, "--output", str(outdir)],
        cwd=ROOT,
        env=cli_environment(env),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"cdk synth of {INTEG_APP.name} failed ({result.returncode}):\n{result.stderr}")
    return outdir


def snapshot_of(assembly: Path) -> Snapshot:
    """The normalized JSON files of a cloud assembly (or of a snapshot: normalizing twice changes nothing)."""
    files: Snapshot = {
        path.name: json.loads(path.read_text())
        for path in sorted(assembly.iterdir())
        if path.is_file() and path.name not in LEFT_OUT
    }
    for name, content in files.items():
        if name.endswith(".template.json"):
            for resource in content.get("Resources", {}).values():
                properties = resource.get("Properties", {})
                if resource.get("Type", "").startswith("Custom::DeployAssert") and "salt" in properties:
                    properties["salt"] = SALT
    template_hashes = {}
    for name, content in files.items():
        if not name.endswith(".assets.json"):
            continue
        for file_hash, entry in content.get("files", {}).items():
            if entry["source"]["path"].endswith(".template.json"):
                template_hashes[file_hash] = f"<sha256 of {entry['source']['path']}>"
                # a destination's id ends with a hash of the destination, object key included
                entry["destinations"] = {
                    _DESTINATION_HASH.sub("-<hash>", key): value for key, value in entry["destinations"].items()
                }
    return {name: _replace(content, template_hashes) for name, content in files.items()}


def _replace(value: Any, substitutions: Mapping[str, str]) -> Any:
    if isinstance(value, dict):
        return {_replace(k, substitutions): _replace(v, substitutions) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace(v, substitutions) for v in value]
    if isinstance(value, str):
        for old, new in substitutions.items():
            value = value.replace(old, new)
    return value


def _text(content: Any) -> list[str]:
    return (json.dumps(content, indent=1) + "\n").splitlines(keepends=True)


def differences(expected: Snapshot, actual: Snapshot, *, context_lines: int = 3, max_lines: int = 60) -> list[str]:
    """One entry per file that differs between the committed snapshot and a fresh one, with a diff."""
    found = []
    for name in sorted(expected.keys() | actual.keys()):
        if name not in actual:
            found.append(f"{name}: in the snapshot, not synthesized any more")
        elif name not in expected:
            found.append(f"{name}: synthesized, not in the snapshot")
        elif expected[name] != actual[name]:
            diff = list(
                difflib.unified_diff(
                    _text(expected[name]),
                    _text(actual[name]),
                    f"snapshot/{name}",
                    f"synthesized/{name}",
                    n=context_lines,
                )
            )
            shown = "".join(diff[:max_lines]) + (
                f"... {len(diff) - max_lines} more lines\n" if len(diff) > max_lines else ""
            )
            found.append(f"{name} differs:\n{shown}")
    return found


def write(snapshot: Snapshot, directory: Path) -> None:
    """Replace ``directory`` with the snapshot's files."""
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    for name, content in snapshot.items():
        (directory / name).write_text("".join(_text(content)))


def fresh_snapshot(base_env: Mapping[str, str]) -> Snapshot:
    """Synthesize the integ app offline (placeholder model) and normalize it."""
    with tempfile.TemporaryDirectory(prefix="integ-synth-") as tmp:
        return snapshot_of(synthesize(Path(tmp) / "cdk.out", offline_environment(base_env)))


def main(argv: list[str]) -> int:
    if argv != ["update"]:
        print(__doc__, file=sys.stderr)
        return 2
    fresh = fresh_snapshot(os.environ)
    write(fresh, SNAPSHOT_DIR)
    print(f"wrote {len(fresh)} files to {SNAPSHOT_DIR.relative_to(ROOT)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
