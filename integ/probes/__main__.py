"""``python -m integ.probes`` (``make probe``): every probe on a real account, then a report.

    MODEL_ARN=arn:aws:comprehend:REGION:ACCOUNT:document-classifier/NAME python -m integ.probes --out DIR

Refuses to start (exit 2, no call made) without a model ARN or without credentials botocore can find.
Otherwise it prints the expected cost and time, a line per probe, and writes ``probe-report.md`` and
``probe-report.json`` to ``--out``. Exit 0 when no probe is refuted and nothing is left behind, else 1.

``--endpoint-url`` (or ``ENDPOINT_URL``) sends the Comprehend and CloudFormation calls elsewhere, e.g. to a
loopback world;
``main(argv, world=...)`` runs on a loopback world in this process (its virtual clock and its principals
instead of IAM roles), as the offline test does.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import boto3
from botocore.exceptions import BotoCoreError

from integ.probes.cfn import LoopbackRecordings
from integ.probes.probes import PROBES
from integ.probes.runner import Report, estimate, run
from integ.probes.target import Clock, LoopbackPrincipals, Principals, RealClock, Recordings, admin_target

MODEL = re.compile(
    r"^arn:aws(-[a-z]+)*:comprehend:[a-z0-9-]+:\d{12}:(document-classifier|entity-recognizer)/"
    r"[a-zA-Z0-9](-*[a-zA-Z0-9])*(/version/[a-zA-Z0-9](-*[a-zA-Z0-9])*)?$"
)

FLYWHEEL = re.compile(r"^arn:aws(-[a-z]+)*:comprehend:[a-z0-9-]+:\d{12}:flywheel/[a-zA-Z0-9](-*[a-zA-Z0-9])*$")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m integ.probes", description=__doc__.split("\n")[0])
    env = os.environ.get
    parser.add_argument("--model-arn", default=env("MODEL_ARN"), help="a trained model (env MODEL_ARN)")
    parser.add_argument(
        "--other-model-arn", default=env("OTHER_MODEL_ARN") or None, help="a trained model of the other type"
    )
    parser.add_argument(
        "--failing-model-arn",
        default=env("FAILING_MODEL_ARN") or None,
        help="a model whose endpoints end FAILED (for the FAILED-endpoint probe)",
    )
    parser.add_argument(
        "--flywheel-arn",
        default=env("FLYWHEEL_ARN") or None,
        help="a flywheel whose active model is of MODEL_ARN's type (for the flywheel probes)",
    )
    parser.add_argument(
        "--quota-max-units",
        type=int,
        default=env("QUOTA_PROBE_MAX_UNITS") or "0",
        help="the largest regional inference-unit quota the quota probe may fill (costly; default 0: not filled)",
    )
    parser.add_argument("--endpoint-url", default=env("ENDPOINT_URL") or None, help="Comprehend endpoint URL")
    parser.add_argument("--out", type=Path, default=Path("probe-report"), help="report directory")
    parser.add_argument("--prefix", default=None, help="name prefix of everything created (default probe-<random>)")
    parser.add_argument("--only", action="append", default=[], help="run only this probe (repeatable)")
    return parser.parse_args(argv)


def refusal(args: argparse.Namespace) -> str | None:
    """Why the run cannot start, before any call is made (None when it can)."""
    if not args.model_arn:
        return (
            "MODEL_ARN is missing: give the ARN of a trained Comprehend model (document classifier or entity "
            "recognizer) in the region to probe, e.g. make probe MODEL_ARN=arn:aws:comprehend:us-east-1:"
            "123456789012:document-classifier/my-model"
        )
    for label, value in (("MODEL_ARN", args.model_arn), ("OTHER_MODEL_ARN", args.other_model_arn)):
        if value and not MODEL.match(value):
            return f"{label} is not a Comprehend model ARN: {value!r}"
    if args.failing_model_arn and not MODEL.match(args.failing_model_arn):
        return f"FAILING_MODEL_ARN is not a Comprehend model ARN: {args.failing_model_arn!r}"
    if args.quota_max_units < 0:
        return f"QUOTA_PROBE_MAX_UNITS must be 0 (skip the quota probe) or more: {args.quota_max_units}"
    if args.flywheel_arn and not FLYWHEEL.match(args.flywheel_arn):
        return f"FLYWHEEL_ARN is not a Comprehend flywheel ARN: {args.flywheel_arn!r}"
    try:
        credentials = boto3.session.Session().get_credentials()
    except BotoCoreError as exc:
        return f"AWS credentials could not be read: {exc}"
    if credentials is None:
        return (
            "no AWS credentials found: botocore found none in the environment, the shared files, SSO or an "
            "instance role; configure them (e.g. AWS_PROFILE=...) for the account of MODEL_ARN"
        )
    return None


def main(argv: Sequence[str] | None = None, *, world: Any = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    args = parse_args(argv)
    why = refusal(args)
    if why is not None:
        print(f"probe: refusing to start: {why}", file=sys.stderr)
        return 2
    prefix = args.prefix or f"probe-{secrets.token_hex(3)}"
    region = args.model_arn.split(":")[3]
    session = boto3.session.Session(region_name=region)
    clock: Clock = RealClock()
    principals: Principals | None = None
    recordings: Recordings | None = None
    if world is not None:
        clock = world.clock
        principals = LoopbackPrincipals(world.aws, region, args.model_arn.split(":")[4], args.endpoint_url)
        recordings = LoopbackRecordings(world, prefix)
    target = admin_target(
        session,
        model_arn=args.model_arn,
        prefix=prefix,
        clock=clock,
        principals=principals,
        endpoint_url=args.endpoint_url,
        other_model_arn=args.other_model_arn,
        failing_model_arn=args.failing_model_arn,
        recordings=recordings,
        flywheel_arn=args.flywheel_arn,
        quota_max_units=args.quota_max_units,
    )
    probes = [p for p in PROBES if not args.only or p.__name__.removeprefix("probe_") in args.only]
    expected = estimate(
        other_model=bool(args.other_model_arn),
        failing_model=bool(args.failing_model_arn),
        flywheel=bool(args.flywheel_arn),
        quota_units=args.quota_max_units,
    )
    print(expected.line(), file=out)
    print(f"Probing {region} with prefix {prefix}: {len(probes)} probes; everything made is deleted.", file=out)
    models = {
        "model": args.model_arn,
        "other": args.other_model_arn,
        "failing": args.failing_model_arn,
        "flywheel": args.flywheel_arn,
    }
    report = run(target, probes, Report(prefix, region, models, expected), lambda line: print(line, file=out))
    md, js = report.write(args.out)
    print(f"Report: {md} and {js} (attach both to an issue).", file=out)
    if any(report.left.values()):
        print(f"LEFT BEHIND (delete by hand): {report.left}", file=out)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
