"""``comprehend-endpoint-rehearse``: an offline rehearsal of *your* stack before you deploy it.

Given a synthesized cloud assembly (``cdk.out``), and optionally a second one (the next version of
the app), it plays create, update (with its cleanup) and destroy of every stack that holds a
``Custom::ComprehendEndpoint`` on the loopback world: the handler from the assembly's own asset
answers, IAM is enforced from the policy each template synthesizes, and the virtual clock makes a
20-minute endpoint take milliseconds. It prints the timeline the way ``cdk deploy`` does, says which
endpoints an update replaces (and for how long two bill at once), flags the service quotas the plan
would exceed, and exits non-zero when any request would fail or any endpoint would be left billing.

The models and flywheels the templates name are taken to exist and be trained (a model defined in
the same stack by ``AWS::Comprehend::DocumentClassifier``/``EntityRecognizer`` too); a flywheel
named only by ARN is taken to serve a document classifier.

With ``--drill`` it then plays the update again at CloudFormation's worst moments (a sibling failing while
endpoints change, a late rollback, a retried deployment: :mod:`comprehend_loopback.drill`).

Exit status: 0 when everything succeeded and nothing is left billing; 1 when a request failed, a
quota was exceeded, an endpoint would be left billing or a drill found a problem; 2 for a usage error.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import logging
import re
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from comprehend_loopback.comprehend import ACCOUNT, REGION
from comprehend_loopback.template import StackTemplate, TemplateError, load_assembly

if TYPE_CHECKING:  # imported at run time by Rehearsal.run: they need boto3 and trustme
    from comprehend_loopback.drill import DrillResult, Scenario
    from comprehend_loopback.stack import StackEvent, StackPlayer
    from comprehend_loopback.world import World

ENDPOINT_TYPE = "Custom::ComprehendEndpoint"
DEPENDENCIES = ("boto3", "trustme")
"""The dependencies of ``cdk-comprehend-endpoint-rehearse`` the rehearsal cannot run without (missing only
when the package is run from a copy pip did not install)."""
LOG_FILE = "comprehend-endpoint-rehearsal.log"

PRICE_PER_UNIT_SECOND = 0.0005
"""List price of an inference unit (per second, 60 s minimum); it may differ by region."""
_MODEL = re.compile(
    r"arn:aws(?:-[a-z]+)*:comprehend:[a-z0-9-]+:[0-9]{12}:(?:document-classifier|entity-recognizer)/[^\s\"]+"
)
_FLYWHEEL = re.compile(r"arn:aws(?:-[a-z]+)*:comprehend:[a-z0-9-]+:[0-9]{12}:flywheel/[a-zA-Z0-9-]+")
_SETTLED = ("_COMPLETE",)


@dataclass(frozen=True)
class Quotas:
    """Comprehend's default service quotas for one account and region (overridable)."""

    endpoints: int = 10
    units_per_endpoint: int = 10
    units_total: int = 100


@dataclass
class Peaks:
    """The most the rehearsal ever had at once: endpoints, units of one endpoint, units in all."""

    endpoints: int = 0
    units_per_endpoint: int = 0
    units_total: int = 0


@dataclass
class Replacement:
    stack: str
    logical_id: str
    old_arn: str
    new_arn: str
    overlap_s: float
    units: int


@dataclass
class Change:
    """An endpoint an update added (``created`` set) or removed (``gone`` set), by stack and logical id."""

    stack: str
    logical_id: str
    arn: str
    created: float | None = None
    gone: float | None = None


@dataclass
class Report:
    """What the rehearsal found; ``ok`` decides the exit status."""

    failures: list[str] = field(default_factory=list)
    added: list[Change] = field(default_factory=list)
    removed: list[Change] = field(default_factory=list)
    log_file: Path | None = None
    left_billing: list[str] = field(default_factory=list)
    retained: list[str] = field(default_factory=list)
    replacements: list[Replacement] = field(default_factory=list)
    quota_problems: list[str] = field(default_factory=list)
    peaks: Peaks = field(default_factory=Peaks)
    virtual_s: float = 0.0

    @property
    def ok(self) -> bool:
        return not (self.failures or self.left_billing or self.quota_problems)


class Console:
    """Prints the rehearsal like ``cdk deploy``: stack events and endpoint status changes, timestamped."""

    def __init__(self, world: World, out: TextIO, verbose: bool) -> None:
        self.world = world
        self.out = out
        self.verbose = verbose
        self.t0 = world.clock.now()

    def stamp(self, when: float | None = None) -> str:
        seconds = int((self.world.clock.now() if when is None else when) - self.t0)
        return f"[{seconds // 60:02d}:{seconds % 60:02d}]"

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def stack_event(self, event: StackEvent) -> None:
        interesting = (
            self.verbose
            or event.resource_type in (ENDPOINT_TYPE, "AWS::CloudFormation::Stack")
            or event.status.endswith("_FAILED")
        )
        if not interesting:
            return
        reason = f"  {event.reason}" if event.reason else ""
        if event.resource_type == "AWS::CloudFormation::Stack":
            self.say(f"{self.stamp(event.at)} {event.stack} | {event.status}{reason}")
            return
        line = f"{event.stack} | {event.status:<20} | {event.resource_type} | {event.logical_id}"
        self.say(f"{self.stamp(event.at)} {line}{reason}")

    def endpoint_status(self, arn: str, status: str, when: float) -> None:
        self.say(f"{self.stamp(when)}     endpoint {arn.rsplit('/', 1)[1]}: {status}")


class Rehearsal:
    """Plays assemblies version after version on one loopback account, then destroys the stacks.

    ``between(index, rehearsal)`` runs after version ``index`` is deployed (the demo uses it to let a
    scaler move units); ``destroy=False`` keeps the last version deployed.
    """

    def __init__(
        self,
        versions: Sequence[Path],
        *,
        out: TextIO | None = None,
        quotas: Quotas = Quotas(),
        stacks: Sequence[str] = (),
        verbose: bool = False,
        destroy: bool = True,
        between: Callable[[int, Rehearsal], None] | None = None,
        workdir: Path | None = None,
        labels: Sequence[str] = (),
        log_file: Path | None = None,
    ) -> None:
        self.versions = [Path(v) for v in versions]
        self.labels = list(labels) or [str(v) for v in self.versions]
        self.log_file = log_file or (self.versions[0] / LOG_FILE if self.versions else None)
        self.out = out or sys.stdout
        self.quotas = quotas
        self.stack_filter = set(stacks)
        self.verbose = verbose
        self.destroy = destroy
        self.between = between
        self.workdir = workdir
        self.report = Report()
        self.players: dict[str, StackPlayer] = {}
        self.world: World | None = None
        self.console: Console | None = None
        self._units: dict[str, int] = {}
        """The inference units each endpoint last had (for the cost of a replacement's overlap)."""

    # ------------------------------------------------------------------------------ running

    def run(self) -> Report:
        missing = [name for name in DEPENDENCIES if importlib.util.find_spec(name) is None]
        if missing:
            raise MissingDependency(
                f"the rehearsal needs {', '.join(missing)}: pip install cdk-comprehend-endpoint-rehearse"
            )
        from comprehend_loopback.world import World

        assemblies = [self._stacks(path) for path in self.versions]
        first = assemblies[0][0]
        account, region = first.account or ACCOUNT, first.region or REGION
        with (
            tempfile.TemporaryDirectory() as tmp,
            World.start(self.workdir or Path(tmp), account=account, region=region) as world,
            self._handler_logs(),
        ):
            self.world = world
            world.comprehend.max_endpoints = self.quotas.endpoints
            world.comprehend.max_units = self.quotas.units_per_endpoint
            world.comprehend.max_total_units = self.quotas.units_total
            self._register_models(assemblies)
            console = Console(world, self.out, self.verbose)
            self.console = console
            world.comprehend.on_status = self._on_status
            for index, (label, stacks) in enumerate(zip(self.labels, assemblies, strict=True)):
                action = "create" if index == 0 else "update"
                names = ", ".join(t.name for t in stacks)
                console.say(f"\n== {action}: {names} ({label}) ==")
                for template in stacks:
                    self._deploy(template, index)
                self._check_billing(f"after the {action} ({label})")
                if self.between is not None:
                    self.between(index, self)
            if self.destroy:
                console.say("\n== destroy ==")
                for name in reversed(list(self.players)):
                    status = self.players[name].destroy()
                    if status != "DELETE_COMPLETE":
                        self.report.failures.append(f"{name}: {status}")
                    self.report.retained += [
                        f"{name}/{r.logical_id} ({r.physical_id})"
                        for r in self.players[name].retained
                        if r.type == ENDPOINT_TYPE
                    ]
                retained = {r.split(" (", 1)[1].rstrip(")") for r in self.report.retained}
                self.report.left_billing = sorted(set(world.comprehend.endpoints) - retained)
            self._check_quotas()
            self.report.virtual_s = world.clock.now() - console.t0
            self._summary()
        return self.report

    def _handler_logs(self) -> contextlib.AbstractContextManager[None]:
        """The handler's JSON log lines (what CloudWatch Logs would hold) go to ``log_file``, not the console."""

        @contextlib.contextmanager
        def capture() -> Iterator[None]:
            root = logging.getLogger()
            saved = root.handlers[:]
            handler: logging.Handler = (
                logging.FileHandler(self.log_file, mode="w") if self.log_file else logging.NullHandler()
            )
            root.handlers = [handler]
            self.report.log_file = self.log_file
            try:
                yield
            finally:
                handler.close()
                root.handlers = saved

        return capture()

    def _stacks(self, path: Path) -> list[StackTemplate]:
        if not path.exists():
            raise TemplateError(f"{path} does not exist: synthesize your app into it first (cdk synth -o {path})")
        stacks = load_assembly(path)
        named = [t for t in stacks if not self.stack_filter or t.name in self.stack_filter]
        if self.stack_filter and not named:
            known = ", ".join(t.name for t in stacks)
            wanted = ", ".join(sorted(self.stack_filter))
            raise TemplateError(f"{path}: no stack named {wanted} (the assembly has {known})")
        chosen = [t for t in named if any(r.get("Type") == ENDPOINT_TYPE for r in t.resources.values())]
        if not chosen:
            raise TemplateError(f"{path}: no stack with a {ENDPOINT_TYPE} resource to rehearse")
        return chosen

    def _deploy(self, template: StackTemplate, index: int) -> None:
        from comprehend_loopback.stack import StackPlayer

        assert self.world is not None and self.console is not None
        player = self.players.get(template.name)
        if player is None:
            player = StackPlayer(self.world, template.name, on_event=self.console.stack_event)
            self.players[template.name] = player
        before = dict(player.endpoints())
        started = self.world.clock.now()
        status = player.deploy(template)
        if not status.endswith(_SETTLED) or "ROLLBACK" in status:
            self.report.failures.append(f"{template.name}: {status}")
        for event in player.events:
            if event.status.endswith("_FAILED") and event.logical_id != template.name:
                failure = f"{template.name}/{event.logical_id}: {event.status} {event.reason}"
                if failure not in self.report.failures:
                    self.report.failures.append(failure)
        if player.outputs and "ROLLBACK" not in status:
            self.console.say(f"\n ✅  {template.name}\n\nOutputs:")
            for name, value in player.outputs.items():
                self.console.say(f"{template.name}.{name} = {value}")
        if index > 0:
            self._note_changes(template.name, before, player.endpoints(), started)

    # ------------------------------------------------------------------------------ findings

    def _register_models(self, assemblies: list[list[StackTemplate]]) -> None:
        assert self.world is not None
        register_models(self.world, assemblies)

    def drill(self, scenarios: Sequence[Scenario] | None = None) -> list[DrillResult]:
        """Play the update again at CloudFormation's worst moments (see :mod:`comprehend_loopback.drill`), each
        drill in a fresh loopback account; print what each left billing or waiting."""
        from comprehend_loopback.drill import SCENARIOS, run_drills

        if len(self.versions) < 2:
            raise TemplateError("--drill replays an update: give the next cloud assembly too")
        assemblies = [self._stacks(path) for path in self.versions]
        first = assemblies[0][0]
        account, region = first.account or ACCOUNT, first.region or REGION

        def prepare(world: World) -> None:
            world.comprehend.max_endpoints = self.quotas.endpoints
            world.comprehend.max_units = self.quotas.units_per_endpoint
            world.comprehend.max_total_units = self.quotas.units_total
            register_models(world, assemblies)

        chosen = list(scenarios or SCENARIOS)
        with self._handler_logs():
            results = run_drills(
                assemblies[0], assemblies[-1], prepare, account=account, region=region, scenarios=chosen
            )
        say = self.out.write
        say("\n== drills: the update again, at CloudFormation's worst moments ==\n")
        for scenario in chosen:
            say(f"{scenario.name}: {scenario.what}\n")
        for result in results:
            head = f"{result.scenario.name} ({result.stack})"
            if result.skipped:
                say(f" ⚠️   {head}: skipped: {result.skipped}\n")
            elif result.ok:
                say(
                    f" ✅  {head}: only the stack's endpoints billed, every request answered, nothing left after "
                    f"destroy ({result.virtual_s / 60:.0f} virtual minutes)\n"
                )
            else:
                for problem in result.problems:
                    say(f" ❌  {head}: {problem}\n")
        return results

    def _on_status(self, arn: str, status: str, when: float) -> None:
        assert self.world is not None and self.console is not None
        self.console.endpoint_status(arn, status, when)
        endpoints = self.world.comprehend.endpoints.values()
        for endpoint in endpoints:
            self._units[endpoint.arn] = max(endpoint.units, endpoint.desired_units)
        peaks = self.report.peaks
        peaks.endpoints = max(peaks.endpoints, len(endpoints))
        peaks.units_total = max(peaks.units_total, self.world.comprehend.total_units())
        peaks.units_per_endpoint = max([peaks.units_per_endpoint, *(max(e.units, e.desired_units) for e in endpoints)])

    def _note_changes(self, stack: str, before: dict[str, str], after: dict[str, str], started: float) -> None:
        """Replacements (same logical id, new endpoint), additions and removals of one update."""
        assert self.world is not None
        comprehend = self.world.comprehend

        def created(arn: str) -> float | None:
            endpoint = comprehend.endpoints.get(arn)
            return endpoint.created if endpoint is not None else None

        def gone(arn: str) -> float | None:
            return comprehend.gone.get(arn, {}).get("GONE")

        for logical_id, old_arn in before.items():
            new_arn = after.get(logical_id)
            if new_arn is None:
                self.report.removed.append(Change(stack, logical_id, old_arn, gone=gone(old_arn)))
            elif new_arn != old_arn and new_arn in comprehend.endpoints:
                new = comprehend.endpoints[new_arn]
                old_gone = gone(old_arn) or self.world.clock.now()
                units = self._units.get(old_arn, new.units)
                self.report.replacements.append(
                    Replacement(stack, logical_id, old_arn, new_arn, max(0.0, old_gone - new.created), units)
                )
        for logical_id, new_arn in after.items():
            if logical_id not in before and (when := created(new_arn)) is not None and when >= started:
                self.report.added.append(Change(stack, logical_id, new_arn, created=when))

    def _check_billing(self, when: str) -> None:
        assert self.world is not None
        described = {arn for p in self.players.values() for arn in p.endpoints().values()}
        kept = {arn for p in self.players.values() for arn in p.kept_endpoints()}
        extra = sorted(set(self.world.comprehend.endpoints) - described - kept)
        for arn in extra:
            self.report.failures.append(f"{arn} bills {when} but no stack describes it")

    def _check_quotas(self) -> None:
        peaks, quotas = self.report.peaks, self.quotas
        for what, used, limit in (
            ("endpoints at once", peaks.endpoints, quotas.endpoints),
            ("inference units on one endpoint", peaks.units_per_endpoint, quotas.units_per_endpoint),
            ("inference units in all at once", peaks.units_total, quotas.units_total),
        ):
            if used > limit:
                self.report.quota_problems.append(f"{used} {what} exceeds the quota of {limit}")
        for failure in self.report.failures:
            if "ResourceLimitExceededException" in failure and failure not in self.report.quota_problems:
                self.report.quota_problems.append(failure)

    def _summary(self) -> None:
        assert self.console is not None
        say, report, quotas = self.console.say, self.report, self.quotas
        say("\n== rehearsal summary ==")
        if report.replacements:
            for r in report.replacements:
                cost = r.overlap_s * r.units * PRICE_PER_UNIT_SECOND
                say(
                    f"replaced: {r.stack}/{r.logical_id}: {_name(r.old_arn)} -> {_name(r.new_arn)}; both billed for "
                    f"{_duration(r.overlap_s)} (about ${cost:.2f} at {_plural(r.units, 'inference unit')})"
                )
        first_new = min((c.created for c in report.added if c.created is not None), default=None)
        for change in report.added:
            say(f"added: {change.stack}/{change.logical_id}: {_name(change.arn)}")
        for change in report.removed:
            overlap = ""
            if first_new is not None and change.gone is not None and change.gone > first_new:
                cost = (change.gone - first_new) * self._units.get(change.arn, 1) * PRICE_PER_UNIT_SECOND
                overlap = (
                    f"; it billed alongside the added endpoint(s) for {_duration(change.gone - first_new)} "
                    f"(about ${cost:.2f}): a construct id change is a removal plus an addition"
                )
            say(f"removed: {change.stack}/{change.logical_id}: {_name(change.arn)}, deleted in the cleanup{overlap}")
        if len(self.versions) > 1 and not (report.replacements or report.added or report.removed):
            if report.failures:
                say("replaced, added or removed: nothing (the update failed and was rolled back: see below)")
            else:
                say("replaced, added or removed: nothing (every endpoint was updated in place)")
        peaks = report.peaks
        say(
            f"quotas: at most {_plural(peaks.endpoints, 'endpoint')} at once (quota {quotas.endpoints}), "
            f"{_plural(peaks.units_per_endpoint, 'inference unit')} on one endpoint "
            f"(quota {quotas.units_per_endpoint}), {peaks.units_total} in all (quota {quotas.units_total})"
        )
        for problem in report.quota_problems:
            say(f" ❌  quota: {problem}")
        for failure in report.failures:
            if failure not in report.quota_problems:
                say(f" ❌  failed: {failure}")
        for arn in report.left_billing:
            say(f" ❌  left billing after destroy: {arn}")
        for retained in report.retained:
            say(f" ⚠️   retained by its DeletionPolicy (still billing, by your choice): {retained}")
        if report.log_file is not None:
            say(f"the handler's JSON logs (what its CloudWatch log group would hold): {report.log_file}")
        minutes = report.virtual_s / 60
        if report.ok:
            left = "nothing left billing" if self.destroy else "the last version left deployed"
            say(f"\n ✅  rehearsal passed: every request succeeded, {left} ({minutes:.0f} virtual minutes)")
        else:
            say(f"\n ❌  rehearsal failed ({minutes:.0f} virtual minutes): see above")


class MissingDependency(RuntimeError):
    """A dependency of ``cdk-comprehend-endpoint-rehearse`` (:data:`DEPENDENCIES`) is not installed."""


def register_models(world: World, assemblies: list[list[StackTemplate]]) -> None:
    """Every model and flywheel the templates name exists in ``world`` (taken to be trained)."""
    text = " ".join(json.dumps(t.body.get("Resources", {})) for stacks in assemblies for t in stacks)
    for model in set(_MODEL.findall(text)):
        world.comprehend.add_model(model)
    for flywheel in set(_FLYWHEEL.findall(text)):
        region, account = flywheel.split(":")[3:5]
        active = f"arn:aws:comprehend:{region}:{account}:document-classifier/{flywheel.rsplit('/', 1)[1]}-active"
        world.comprehend.add_flywheel(flywheel, "DOCUMENT_CLASSIFIER", active)


def _name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="comprehend-endpoint-rehearse",
        description=(
            "Rehearse a synthesized CDK app's Comprehend endpoints offline: create, update (with a second "
            "cloud assembly) and destroy, on a loopback AWS with the app's own handler and IAM policy."
        ),
    )
    parser.add_argument("assembly", type=Path, help="the cloud assembly to create (cdk.out)")
    parser.add_argument("next", type=Path, nargs="?", help="a second cloud assembly to update to")
    parser.add_argument("--stack", action="append", default=[], help="rehearse only this stack (repeatable)")
    parser.add_argument("--endpoint-quota", type=int, default=Quotas.endpoints, help="endpoints per region")
    parser.add_argument(
        "--units-per-endpoint-quota", type=int, default=Quotas.units_per_endpoint, help="inference units per endpoint"
    )
    parser.add_argument("--units-quota", type=int, default=Quotas.units_total, help="inference units per region")
    parser.add_argument("--keep", action="store_true", help="do not destroy the stacks at the end")
    parser.add_argument("--verbose", action="store_true", help="print every resource's events")
    parser.add_argument(
        "--drill",
        action="store_true",
        help="then play the update again with a sibling failing while endpoints change, a late rollback and a "
        "retried deployment, and report anything left billing or waiting (needs the next assembly)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    versions = [args.assembly] + ([args.next] if args.next else [])
    quotas = Quotas(args.endpoint_quota, args.units_per_endpoint_quota, args.units_quota)
    if args.drill and args.next is None:
        print(
            "comprehend-endpoint-rehearse: --drill replays an update: give the next cloud assembly too", file=sys.stderr
        )
        return 2
    try:
        rehearsal = Rehearsal(versions, quotas=quotas, stacks=args.stack, verbose=args.verbose, destroy=not args.keep)
        report = rehearsal.run()
        drills = rehearsal.drill() if args.drill else []
    except (TemplateError, FileNotFoundError, MissingDependency) as exc:
        print(f"comprehend-endpoint-rehearse: {exc}", file=sys.stderr)
        return 2
    return 0 if report.ok and all(d.ok for d in drills) else 1


if __name__ == "__main__":
    sys.exit(main())
