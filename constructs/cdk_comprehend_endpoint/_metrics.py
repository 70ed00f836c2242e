"""What every endpoint has (``EndpointBase``): grants, CloudWatch metrics, and an alarm for an endpoint that
bills while idle.

What the code relies on:

- Comprehend publishes endpoint metrics in the ``AWS/Comprehend`` namespace with one dimension,
  ``EndpointArn``: ``InferenceUtilization``, ``ConsumedInferenceUnits``, ``ProvisionedInferenceUnits``
  (and ``RequestedInferenceUnits``). They are emitted only for successful requests: an endpoint
  nobody calls publishes no data points at all, not zeros.
- The Amazon Comprehend Developer Guide, page "Monitoring Amazon Comprehend endpoints", sets the
  statistic of ``ConsumedInferenceUnits`` and ``InferenceUtilization`` to Sum, of
  ``ProvisionedInferenceUnits`` to Average, and the period of all of them to 1 minute. The
  ``metric_*`` helpers use exactly those settings.
- CloudWatch (PutMetricAlarm, ``Period``): period x evaluation periods may not exceed 7 days
  (604,800 s), and 1 day (86,400 s) when the period is shorter than 1 hour.
- An endpoint costs $0.0005 per inference unit per second (list price), i.e. $1.80 per inference
  unit and hour, from creation to deletion, whether it serves requests or not.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam

from cdk_comprehend_endpoint import _types, _validation
from cdk_comprehend_endpoint._contract import contract

NAMESPACE = "AWS/Comprehend"
DIMENSION = "EndpointArn"
METRIC_PERIOD = cdk.Duration.minutes(1)
PRICE_PER_UNIT_SECOND = contract.PRICE_PER_UNIT_SECOND
PRICE_PER_UNIT_HOUR = PRICE_PER_UNIT_SECOND * 3600
DEFAULT_IDLE_WINDOW = cdk.Duration.hours(24)
"""A day: an endpoint used by a daily job never looks idle, and an endpoint forgotten after a demo is
reported within a day (about $43 per inference unit). With 1-hour periods, 24 evaluation periods are
well inside CloudWatch's 7-day limit."""
MAX_DESCRIPTION = 1024


INVOKE_ACTIONS = {
    "document-classifier": ["comprehend:ClassifyDocument"],
    "entity-recognizer": ["comprehend:DetectEntities"],
}
"""The real-time inference action of each model kind."""


class EndpointBase(cdk.Resource):
    """What every endpoint has, defined in the app or imported: ``grant_invoke``, metrics and the idle alarm.

    Subclasses provide ``endpoint_arn`` (declared here only) and set ``_model_kind`` when the endpoint's
    model kind is known at synth; ``_cost_range`` tells the idle alarm how many inference units the endpoint
    bills for when that is known at synth.
    """

    _model_kind: str | None = None

    @property
    def endpoint_arn(self) -> str:
        """The endpoint's ARN; every subclass provides it."""
        raise NotImplementedError

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` run real-time inference on this endpoint's exact ARN.

        ``comprehend:ClassifyDocument`` for a document-classifier endpoint,
        ``comprehend:DetectEntities`` for an entity-recognizer endpoint, both when the type is not
        known at synth time.
        """
        _types.grantable(self, "grantee", grantee)
        kind = self._model_kind
        actions = INVOKE_ACTIONS[kind] if kind else sorted(a for acts in INVOKE_ACTIONS.values() for a in acts)
        return iam.Grant.add_to_principal(grantee=grantee, actions=actions, resource_arns=[self.endpoint_arn])

    def metric(self, metric_name: str, **props: Any) -> cloudwatch.Metric:
        """The endpoint's metric ``metric_name`` in ``AWS/Comprehend``, dimension ``EndpointArn`` = this endpoint.

        :param props: any ``cloudwatch.MetricOptions`` (``statistic``, ``period``, ``label``, ...); they
            replace the defaults. Default: CloudWatch's (Average over 5 minutes). The metrics are emitted
            only for successful requests: an idle endpoint has no data points.
        """
        options: dict[str, Any] = {"dimensions_map": {DIMENSION: self.endpoint_arn}, **self._metric_env(), **props}
        return cloudwatch.Metric(namespace=NAMESPACE, metric_name=metric_name, **options)

    def metric_inference_utilization(self, **props: Any) -> cloudwatch.Metric:
        """``InferenceUtilization``: Sum per 1 minute by default, as the Comprehend Developer Guide
        ("Monitoring Amazon Comprehend endpoints") sets it. The metric autoscaling tracks."""
        return self.metric("InferenceUtilization", **{"statistic": "Sum", "period": METRIC_PERIOD, **props})

    def metric_consumed_inference_units(self, **props: Any) -> cloudwatch.Metric:
        """``ConsumedInferenceUnits``: Sum per 1 minute by default, as the Comprehend Developer Guide
        ("Monitoring Amazon Comprehend endpoints") sets it. No data points while nobody calls the endpoint."""
        return self.metric("ConsumedInferenceUnits", **{"statistic": "Sum", "period": METRIC_PERIOD, **props})

    def metric_provisioned_inference_units(self, **props: Any) -> cloudwatch.Metric:
        """``ProvisionedInferenceUnits``: Average per 1 minute by default, as the Comprehend Developer
        Guide ("Monitoring Amazon Comprehend endpoints") sets it. Reported with requests only, so it is no
        record of what an idle endpoint bills."""
        return self.metric("ProvisionedInferenceUnits", **{"statistic": "Average", "period": METRIC_PERIOD, **props})

    def alarm_when_idle(
        self,
        construct_id: str = "IdleAlarm",
        *,
        window: cdk.Duration | None = None,
        alarm_name: str | None = None,
        actions_enabled: bool | None = None,
    ) -> cloudwatch.Alarm:
        """An alarm that fires when the endpoint served no successful request for ``window``.

        It watches ``ConsumedInferenceUnits`` (Sum) and goes to ALARM when every period of the window is
        0 or has no data (``TreatMissingData: breaching``: an idle endpoint emits nothing). Its
        description says what the endpoint costs per hour. Add actions with ``alarm.add_alarm_action(...)``.

        :param construct_id: id of the alarm under this endpoint. Default: ``IdleAlarm``.
        :param window: how long the endpoint must be idle. Default: 24 hours. Whole hours (1-hour periods,
            up to 7 days) or whole minutes (1-minute periods, up to 1 day), CloudWatch's limits on
            period x evaluation periods.
        :param alarm_name: Default: generated by CloudFormation.
        :param actions_enabled: Default: CloudWatch's (enabled).

        An imported endpoint must be in the stack's region (when both are known at synth): CloudWatch alarms
        watch metrics of their own region only. Another account is fine.
        """
        _types.idle_alarm_args(
            self, construct_id, window=window, alarm_name=alarm_name, actions_enabled=actions_enabled
        )
        region = self._metric_env().get("region")
        _validation.check(
            self,
            region is None,
            "alarm_when_idle",
            f"needs the endpoint in the stack's region {cdk.Stack.of(self).region} (a CloudWatch alarm watches "
            "metrics of its own region; alarm in a stack of the endpoint's region)",
            region,
        )
        window = window if window is not None else DEFAULT_IDLE_WINDOW
        period, periods, text = _idle_periods(self, window)
        return cloudwatch.Alarm(
            self,
            construct_id,
            metric=self.metric_consumed_inference_units(period=period),
            evaluation_periods=periods,
            threshold=0,
            comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
            alarm_description=cdk.Lazy.string(_Producer(lambda: self._idle_description(text))),
            alarm_name=alarm_name,
            actions_enabled=actions_enabled,
        )

    def _cost_range(self) -> tuple[int, int] | None:
        """Fewest and most inference units the endpoint bills for, when known at synth; None otherwise."""
        return None

    def _idle_description(self, window_text: str) -> str:
        text = (
            f"Comprehend endpoint {self.node.path} served no successful request for {window_text}. "
            f"It bills whether used or not: {hourly_cost(self._cost_range())} "
            f"(${PRICE_PER_UNIT_SECOND} per inference unit per second, list price). "
            "Delete it, or lower its inference units, if nobody needs it."
        )
        return text if len(text) <= MAX_DESCRIPTION else text[: MAX_DESCRIPTION - 3] + "..."

    def _metric_env(self) -> dict[str, str]:
        """``region``/``account`` for an imported endpoint that is definitely elsewhere than its stack;
        nothing when they match or either side is a token (CloudWatch then uses the stack's)."""
        stack = cdk.Stack.of(self)
        env: dict[str, str] = {}
        pairs = (("region", self.env.region, stack.region), ("account", self.env.account, stack.account))
        for key, own, stacks in pairs:
            if not cdk.Token.is_unresolved(own) and not cdk.Token.is_unresolved(stacks) and own != stacks:
                env[key] = own
        return env


def hourly_cost(units: tuple[int, int] | None) -> str:
    """``$3.60 per hour (2 inference units)``, ``$1.80-$7.20 per hour (1-4 inference units)``, or
    ``$1.80 per inference unit per hour`` when the units are unknown."""
    if units is None:
        return f"${PRICE_PER_UNIT_HOUR:.2f} per inference unit per hour"
    low, high = units
    if low == high:
        return f"${PRICE_PER_UNIT_HOUR * low:.2f} per hour ({low} inference unit{'s' if low != 1 else ''})"
    return f"${PRICE_PER_UNIT_HOUR * low:.2f}-${PRICE_PER_UNIT_HOUR * high:.2f} per hour ({low}-{high} inference units)"


def _idle_periods(scope: EndpointBase, window: cdk.Duration) -> tuple[cdk.Duration, int, str]:
    """Period, number of evaluation periods and a readable form of ``window``, within CloudWatch's limits."""
    seconds = window.to_milliseconds() / 1000
    hours, minutes = seconds / 3600, seconds / 60
    if seconds > 0 and hours.is_integer():
        _validation.check(scope, hours <= 7 * 24, "window", "must be at most 7 days", window.to_human_string())
        count = int(hours)
        return cdk.Duration.hours(1), count, f"{count} hour{'s' if count != 1 else ''}"
    _validation.check(
        scope,
        seconds > 0 and minutes.is_integer() and minutes <= 24 * 60,
        "window",
        "must be whole hours up to 7 days or whole minutes up to 1 day (CloudWatch: period x evaluation "
        "periods <= 7 days, <= 1 day for periods under 1 hour)",
        window.to_human_string(),
    )
    count = int(minutes)
    return cdk.Duration.minutes(1), count, f"{count} minute{'s' if count != 1 else ''}"


@jsii.implements(cdk.IStableStringProducer)
class _Producer:
    """A string computed when the template is rendered, after every method call on the construct."""

    def __init__(self, produce: Callable[[], str]) -> None:
        self._produce = produce

    def produce(self) -> str:
        return self._produce()
