"""Everything a lifecycle test needs, started and wired together: ``with World.start(tmp) as w``."""

from __future__ import annotations

import importlib
import importlib.util
import os
import random
import sys
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import botocore.endpoint

from comprehend_loopback.autoscaling import FakeApplicationAutoScaling
from comprehend_loopback.clock import VirtualClock
from comprehend_loopback.cloudformation import FUNCTION_NAME, CloudFormation
from comprehend_loopback.comprehend import ACCOUNT, REGION, FakeComprehend, Timing
from comprehend_loopback.quotas import FakeServiceQuotas
from comprehend_loopback.receiver import ResponseReceiver
from comprehend_loopback.server import LoopbackAws


def default_handler_dir() -> Path:
    """The handler's source: ``lambda/`` of a source checkout, else the installed construct package's
    ``_handler/`` (found without importing aws-cdk-lib)."""
    checkout = Path(__file__).resolve().parents[2] / "lambda"
    if (checkout / "index.py").is_file():
        return checkout
    spec = importlib.util.find_spec("cdk_comprehend_endpoint")
    if spec is not None and spec.submodule_search_locations:
        installed = Path(next(iter(spec.submodule_search_locations))) / "_handler"
        if (installed / "index.py").is_file():
            return installed
    raise FileNotFoundError("the Comprehend endpoint handler was found neither in lambda/ nor installed")


class World:
    def __init__(
        self, workdir: Path, timing: Timing | None = None, *, account: str = ACCOUNT, region: str = REGION
    ) -> None:
        self.clock = VirtualClock()
        self.comprehend = FakeComprehend(self.clock.now, timing, account=account, region=region)
        self.aws = LoopbackAws(self.comprehend, self.clock)
        self.aws.register_function(FUNCTION_NAME)
        self.receiver = ResponseReceiver(self.clock.now, workdir)
        self.exports: dict[str, str] = {}
        """CloudFormation exports of the stacks played in this world (for ``Fn::ImportValue``)."""
        self.scaling_targets: dict[str, dict[str, Any]] = {}
        """Application Auto Scaling targets registered by the stacks or through the API, by ResourceId (an
        endpoint ARN)."""
        self.autoscaling = FakeApplicationAutoScaling(self.comprehend, self.scaling_targets, self.clock.now)
        self.aws.services["AnyScaleFrontendService"] = self.autoscaling
        self.aws.services["ServiceQuotasV20190624"] = FakeServiceQuotas(self.comprehend)

    @classmethod
    @contextmanager
    def start(
        cls,
        workdir: Path,
        timing: Timing | None = None,
        *,
        seed: int = 0,
        account: str = ACCOUNT,
        region: str = REGION,
    ) -> Iterator[World]:
        """Start the servers and point boto3 at them. ``seed`` seeds the process's ``random`` (botocore
        draws its retry jitter from it), so that the same scenario gives the same timeline every run."""
        random.seed(seed)
        world = cls(workdir, timing, account=account, region=region)
        world.aws.start()
        world.receiver.start()
        try:
            with world.environment():
                yield world
        finally:
            world.aws.stop()
            world.receiver.stop()

    @contextmanager
    def environment(self) -> Iterator[None]:
        """boto3 pointed at the loopback server, the test CA trusted, botocore's retry sleeps virtual."""
        values = {
            "AWS_ENDPOINT_URL": self.aws.url,
            "AWS_ACCESS_KEY_ID": "loopback",
            "AWS_SECRET_ACCESS_KEY": "loopback",
            "AWS_REGION": self.comprehend.region,
            "AWS_DEFAULT_REGION": self.comprehend.region,
            "AWS_EC2_METADATA_DISABLED": "true",
            "SSL_CERT_FILE": str(self.receiver.ca_file),
        }
        saved = {k: os.environ.get(k) for k in [*values, "AWS_SESSION_TOKEN", "AWS_PROFILE"]}
        os.environ.update(values)
        os.environ.pop("AWS_SESSION_TOKEN", None)
        os.environ.pop("AWS_PROFILE", None)
        real_time = getattr(botocore.endpoint, "time")  # noqa: B009 - not in botocore's type stubs
        virtual_time = types.SimpleNamespace(
            **{n: getattr(real_time, n) for n in dir(real_time) if not n.startswith("__")}
        )
        virtual_time.sleep = self.clock.sleep
        setattr(botocore.endpoint, "time", virtual_time)  # noqa: B010 - the module botocore sleeps with
        try:
            yield
        finally:
            setattr(botocore.endpoint, "time", real_time)  # noqa: B010
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    def autoscale(self, endpoint_arn: str, units: int) -> None:
        """Application Auto Scaling moving an endpoint's inference units, as its service-linked role
        does (UpdateEndpoint with DesiredInferenceUnits), only for an endpoint registered as a scalable
        target (by a stack or through the API) and only within that target's [MinCapacity, MaxCapacity]
        (:meth:`FakeApplicationAutoScaling.scale`, which records the scaling activity)."""
        with self.comprehend.lock:
            self.comprehend.advance()
            self.autoscaling.scale(endpoint_arn, units, "a target tracking policy")

    def settle(self) -> None:
        """Let virtual time run until no endpoint is changing status any more."""
        with self.comprehend.lock:
            while (when := self.comprehend.next_change()) is not None:
                self.clock.advance_to(when)
                self.comprehend.advance()

    def handler(
        self, handler_dir: Path | None = None, *, access_key: str | None = None
    ) -> Callable[[dict[str, Any], Any], Any]:
        """The real handler from ``handler_dir`` (``lambda/`` or a staged asset) on the virtual clock.

        With ``access_key``, its clients sign with that key, so the loopback world holds it to the
        policies of the principal registered under it (as Lambda gives a function its role).
        """
        index = load_index(handler_dir or default_handler_dir())
        clients: dict[str, Any] = {}
        if access_key is not None:
            session = boto3.session.Session(
                aws_access_key_id=access_key,
                aws_secret_access_key="loopback",  # noqa: S106 - the loopback server checks no signature
            )
            clients["comprehend"] = session.client("comprehend", config=index.BOTO_CONFIG)
            clients["lambda_client"] = session.client("lambda", config=index.BOTO_CONFIG)
            clients["cloudformation"] = session.client("cloudformation", config=index.BOTO_CONFIG)
        built: Callable[[dict[str, Any], Any], Any] = index.build_handler(clock=self.clock, **clients)
        return built

    def cloudformation(
        self, handler: Callable[[], Callable[[dict[str, Any], Any], Any]] | None = None, **kwargs: Any
    ) -> CloudFormation:
        """A CloudFormation driver; ``handler`` makes handler instances (default: the real handler)."""
        return CloudFormation(handler or self.handler, self.clock, self.aws, self.receiver, **kwargs)


def load_index(handler_dir: Path) -> Any:
    """Import ``index`` (and its ``comprehend_cr`` package) from ``handler_dir``."""
    path = str(handler_dir)
    if path in sys.path:
        sys.path.remove(path)
    sys.path.insert(0, path)
    for name in list(sys.modules):
        if name == "index" or name == "comprehend_cr" or name.startswith("comprehend_cr."):
            module_file = getattr(sys.modules[name], "__file__", "") or ""
            if not module_file.startswith(path):
                del sys.modules[name]
    return importlib.import_module("index")
