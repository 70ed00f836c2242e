"""``ComprehendEndpoint``: an Amazon Comprehend real-time endpoint for a custom model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, cast, runtime_checkable

import aws_cdk as cdk
import jsii
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from cdk_comprehend_endpoint import _imports, _metrics, _naming, _provider_logs, _scaling, _types, _validation
from cdk_comprehend_endpoint._contract import contract
from cdk_comprehend_endpoint._provider import SERVICE_TIMEOUT, EndpointProvider

RESOURCE_TYPE = contract.RESOURCE_TYPE


@runtime_checkable
class IComprehendEndpoint(Protocol):
    """A Comprehend endpoint, defined in this app or imported (by ARN, by name or by attributes)."""

    @property
    def endpoint_arn(self) -> str:
        """The endpoint's ARN (a token until deploy time for an endpoint defined in the app)."""
        ...

    @property
    def endpoint_name(self) -> str:
        """The endpoint's name."""
        ...

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` run real-time inference (ClassifyDocument / DetectEntities) on this endpoint only."""
        ...

    def metric(self, metric_name: str, **props: Any) -> cloudwatch.Metric:
        """Metric ``metric_name`` of this endpoint (``AWS/Comprehend``, dimension ``EndpointArn``)."""
        ...

    def metric_inference_utilization(self, **props: Any) -> cloudwatch.Metric:
        """``InferenceUtilization``, Sum per minute by default."""
        ...

    def metric_consumed_inference_units(self, **props: Any) -> cloudwatch.Metric:
        """``ConsumedInferenceUnits``, Sum per minute by default."""
        ...

    def metric_provisioned_inference_units(self, **props: Any) -> cloudwatch.Metric:
        """``ProvisionedInferenceUnits``, Average per minute by default."""
        ...

    def alarm_when_idle(
        self,
        construct_id: str = "IdleAlarm",
        *,
        window: cdk.Duration | None = None,
        alarm_name: str | None = None,
        actions_enabled: bool | None = None,
    ) -> cloudwatch.Alarm:
        """An alarm that fires when the endpoint served no successful request for ``window`` (default 24 h)."""
        ...


@jsii.implements(cdk.ITaggable)
class ComprehendEndpoint(_metrics.EndpointBase):
    """A Comprehend real-time endpoint for a custom document classifier or entity recognizer.

    Deployed by a ``Custom::ComprehendEndpoint`` resource whose handler (one Lambda function per
    stack, shared by every endpoint in it) creates the endpoint with an idempotency token derived
    from the stack, answers CloudFormation only once the endpoint is ``IN_SERVICE``, updates it in
    place or replaces it, and deletes it when the resource is removed.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        model_arn: str | None = None,
        desired_inference_units: int | float = 1,
        endpoint_name: str | None = None,
        tags: Mapping[str, str] | None = None,
        data_access_role: iam.IRole | None = None,
        flywheel_arn: str | None = None,
        client_request_token: str | None = None,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.DESTROY,
    ) -> None:
        """
        :param model_arn: ARN of the trained document classifier or entity recognizer (optionally a
            ``/version/...``) to serve. Required unless ``flywheel_arn`` is given.
        :param desired_inference_units: inference units (1 unit = 100 characters per second); a whole
            number >= 1. Default: 1. The default service quota is 10 per endpoint.
        :param endpoint_name: name of the endpoint, 1-40 letters, digits and inner hyphens. Default: a
            name generated from the stack name and this construct's path (unique per stack and path).
            Changing it replaces the endpoint.
        :param tags: tags for the endpoint. Default: none; tags added with ``Tags.of(...)`` on a scope
            above this construct are merged in (these take precedence on the same key as CDK's tags do).
        :param data_access_role: role Comprehend assumes to read the KMS-encrypted model. Default: none.
            The handler may pass only this role, and only to Comprehend.
        :param flywheel_arn: flywheel whose active model the endpoint serves, with or instead of
            ``model_arn``. Default: none.
        :param client_request_token: idempotency token for CreateEndpoint. Default: derived from the
            stack id, the logical id and the CloudFormation request, so a retried request reaches the
            same endpoint and a new request (a replacement) gets a new one.
        :param removal_policy: what happens to the endpoint when it is replaced or the resource leaves the
            stack. Default: ``DESTROY``. ``RETAIN`` (or ``RETAIN_ON_UPDATE_OR_DELETE``) keeps the endpoint, and
            its hourly cost, after replacement and stack deletion; the handler marks it
            (tag ``cdk-comprehend-endpoint:retained``) so that no later request of the stack deletes it as a
            stray, and a construct added back under the same id refuses to take it over. ``SNAPSHOT`` is
            refused.

        Checked at synth: the Python type of every argument (before anything is added to the app), then
        the values (tokens are skipped), a model, flywheel or role outside a concrete stack environment,
        and a name another endpoint of the stack already has. Errors name this construct's path, the prop
        and the value: a ``TypeError`` (that is also a ``ValueError``) for a wrong type, a ``ValueError``
        for a wrong value.
        """
        # Every prop's Python type (``PropTypeError``; annotations are not checked at run time), then every value
        # the service or the handler would refuse (``ValueError``; tokens pass), before anything joins the app. A
        # new prop adds a line to each half; its pattern and limits belong in the handler's contract.
        where = _types.scope_and_id(scope, construct_id)
        _types.string(where, "model_arn", model_arn, _types.ARN)
        _types.number(where, "desired_inference_units", desired_inference_units, _types.UNITS, any_token=True)
        _types.string(where, "endpoint_name", endpoint_name)
        _types.string_map(where, "tags", tags)
        _types.role(where, "data_access_role", data_access_role)
        _types.string(where, "flywheel_arn", flywheel_arn, _types.ARN)
        _types.string(where, "client_request_token", client_request_token)
        retain = "a cdk.RemovalPolicy (e.g. cdk.RemovalPolicy.RETAIN)"
        _types.instance(where, "removal_policy", removal_policy, cdk.RemovalPolicy, retain, optional=False)

        one_of = model_arn is not None or flywheel_arn is not None
        _validation.check(where, one_of, "model_arn", "or flywheel_arn is required", None)
        model_rule = "must be a document-classifier or entity-recognizer ARN"
        _validation.matches(where, "model_arn", model_arn, contract.model_arn, model_rule)
        _validation.matches(where, "flywheel_arn", flywheel_arn, contract.flywheel_arn, "must be a flywheel ARN")
        _validation.check_units(where, desired_inference_units)
        _validation.matches(where, "endpoint_name", endpoint_name, contract.endpoint_name_ok, _validation.NAME_RULE)
        token, token_rule = client_request_token, "must be 1-64 letters, digits or hyphens"
        _validation.matches(where, "client_request_token", token, contract.client_request_token_ok, token_rule)
        _validation.check_tags(where, tags)
        super().__init__(scope, construct_id)
        units_token = cdk.Token.is_unresolved(desired_inference_units)
        if not units_token and desired_inference_units > contract.UNIT_QUOTA:
            cdk.Annotations.of(self).add_warning_v2(
                "cdk-comprehend-endpoint:unitsAboveDefaultQuota",
                f"desired_inference_units {desired_inference_units} is above the default quota of "
                f"{contract.UNIT_QUOTA} per endpoint: request an increase before deploying",
            )
        self._model_kind = _validation.model_kind(model_arn)
        self._desired_inference_units = desired_inference_units
        self._scaling: _scaling.ScalableInferenceUnits | None = None
        self._tags = cdk.TagManager(cdk.TagType.KEY_VALUE, RESOURCE_TYPE, dict(tags or {}))
        stack = cdk.Stack.of(self)
        role_arn = data_access_role.role_arn if data_access_role is not None else None
        _validation.check_environment(
            self, stack, model_arn=model_arn, flywheel_arn=flywheel_arn, data_access_role_arn=role_arn
        )
        name = endpoint_name if endpoint_name is not None else _naming.generated_endpoint_name(self, stack)
        _validation.claim_endpoint_name(
            self, EndpointProvider.in_stack(stack).endpoint_names, name, generated=endpoint_name is None
        )
        _validation.claim_client_request_token(self, client_request_token)
        kept = _validation.removal_policy_property(self, removal_policy)

        provider = EndpointProvider.of(stack)
        kinds = [self._model_kind] if self._model_kind else list(contract.MODEL_KINDS)
        for kind in kinds:
            provider.allow_create(_endpoint_arn_in_stack(stack, f"{kind}-endpoint", name))
        if model_arn is not None:
            provider.allow_model(model_arn)
        if flywheel_arn is not None:
            provider.allow_flywheel(flywheel_arn)
        if role_arn is not None:
            provider.allow_pass_role(role_arn)

        properties: dict[str, Any] = {
            contract.ENDPOINT_NAME_PROPERTY: name,
            contract.UNITS_PROPERTY: cdk.Token.as_string(desired_inference_units)
            if units_token
            else str(int(desired_inference_units)),
            contract.MODEL_ARN_PROPERTY: model_arn,
            contract.FLYWHEEL_ARN_PROPERTY: flywheel_arn,
            contract.ROLE_PROPERTY: role_arn,
            contract.TOKEN_PROPERTY: client_request_token,
            contract.TAGS_PROPERTY: self._tags.rendered_tags,
            contract.REMOVAL_POLICY_PROPERTY: kept,
        }
        self._resource = cdk.CustomResource(
            self,
            "Resource",
            service_token=provider.service_token,
            resource_type=RESOURCE_TYPE,
            properties={k: v for k, v in properties.items() if v is not None},
            removal_policy=removal_policy,
            service_timeout=SERVICE_TIMEOUT,
        )
        if removal_policy == cdk.RemovalPolicy.DESTROY:
            # CloudFormation deletes a resource without a policy anyway: keep each endpoint's entry small.
            cfn = cast(cdk.CfnResource, self._resource.node.default_child)
            cfn.cfn_options.deletion_policy = None
            cfn.cfn_options.update_replace_policy = None

    @property
    def tags(self) -> cdk.TagManager:
        """Tags of the endpoint, including those applied with ``Tags.of(scope)``."""
        return self._tags

    @property
    def endpoint_arn(self) -> str:
        """ARN of the endpoint (``Fn::GetAtt EndpointArn``); also the resource's physical id."""
        return self._resource.get_att_string(contract.ENDPOINT_ARN_ATTRIBUTE)

    @property
    def endpoint_name(self) -> str:
        """Name of the endpoint (``Fn::GetAtt EndpointName``)."""
        return self._resource.get_att_string(contract.ENDPOINT_NAME_ATTRIBUTE)

    @property
    def model_arn(self) -> str:
        """ARN of the model the endpoint serves, as the service reports it (``Fn::GetAtt ModelArn``)."""
        return self._resource.get_att_string(contract.MODEL_ARN_ATTRIBUTE)

    def auto_scale_inference_units(
        self, *, min_capacity: int | float = 1, max_capacity: int | float
    ) -> _scaling.ScalableInferenceUnits:
        """Let Application Auto Scaling move the endpoint's inference units within [min, max].

        Returns the scalable attribute: add ``scale_on_utilization(...)`` (target tracking of
        ``ComprehendInferenceUtilization``) and ``scale_on_schedule(...)``. The scalable target uses
        namespace ``comprehend``, the endpoint's ARN and the dimension
        ``comprehend:<endpoint type>:DesiredInferenceUnits``; the endpoint type comes from ``model_arn``
        when it is known at synth, otherwise (a token model, a flywheel without ``model_arn``) from the
        custom resource's ``EndpointType`` attribute at deploy time. Application Auto Scaling acts through
        its service-linked role ``AWSServiceRoleForApplicationAutoScaling_ComprehendEndpoint`` (created on
        first use). Deploys do not undo the scaler: the handler leaves the live units alone unless
        ``desired_inference_units`` or the range changes, and then clamps into the range.

        :param min_capacity: fewest inference units, a whole number >= 1. Default: 1.
        :param max_capacity: most inference units, a whole number >= ``min_capacity``; above the default
            quota of 10 per endpoint: a synth warning. ``desired_inference_units`` must be within the range.
        """
        _types.scaling_args(self, min_capacity=min_capacity, max_capacity=max_capacity)
        self._scaling = _scaling.enable(
            self,
            self._resource,
            existing=self._scaling,
            model_kind=self._model_kind,
            desired_inference_units=self._desired_inference_units,
            min_capacity=min_capacity,
            max_capacity=max_capacity,
        )
        return self._scaling

    def _cost_range(self) -> tuple[int, int] | None:
        if self._scaling is not None:
            low, high = self._scaling.min_capacity, self._scaling.max_capacity
        else:
            low = high = self._desired_inference_units
        if cdk.Token.is_unresolved(low) or cdk.Token.is_unresolved(high):
            return None
        return int(low), int(high)

    @staticmethod
    def configure_provider(
        scope: Construct,
        *,
        log_removal_policy: cdk.RemovalPolicy | None = None,
        log_retention: logs.RetentionDays | None = None,
    ) -> None:
        """Settings of the handler that serves every endpoint of ``scope``'s stack: its log group.

        The handler, and its log group ``<stack>/ComprehendEndpointProvider/LogGroup``, are one per stack,
        shared by all its endpoints, so these are stack-level settings (as ``Tags.of(scope)`` is) rather
        than endpoint props two endpoints could disagree on. Call it before or after the stack's endpoints:
        given first, the settings wait for the first endpoint to create the handler; given later, they
        apply at once. For each setting, the last call that gives it wins. A stack without endpoints gets
        no handler.

        :param log_removal_policy: ``DESTROY`` deletes the log group with the stack (``cdk destroy``),
            including the logs of the destroy itself; ``RETAIN`` or ``RETAIN_ON_UPDATE_OR_DELETE`` keep it.
            Default: unchanged, i.e. CDK's default for log groups, ``RETAIN``: the log group, and its
            logs, outlive the stack until deleted by hand.
        :param log_retention: how long the log group keeps events. Default: unchanged, 30 days.
        """
        _provider_logs.configure(scope, log_removal_policy=log_removal_policy, log_retention=log_retention)

    @staticmethod
    def from_endpoint_arn(scope: Construct, construct_id: str, endpoint_arn: str) -> IComprehendEndpoint:
        """An endpoint defined elsewhere (another stack, the console), for grants, metrics and alarms.

        A concrete ARN is checked against the endpoint ARN pattern; a token is accepted as is (grants
        then cover both endpoint types).
        """
        _types.string(
            _types.scope_and_id(scope, construct_id), "endpoint_arn", endpoint_arn, _types.ARN, optional=False
        )
        return _ImportedEndpoint(scope, construct_id, endpoint_arn=endpoint_arn)

    @staticmethod
    def from_endpoint_name(
        scope: Construct, construct_id: str, endpoint_name: str, *, model_type: _imports.ModelTypeLike
    ) -> IComprehendEndpoint:
        """An endpoint in the importing stack's account and region, by name.

        :param model_type: ``ModelType.DOCUMENT_CLASSIFIER`` or ``ModelType.ENTITY_RECOGNIZER`` (or their
            string values): it fixes the endpoint's ARN (``...:document-classifier-endpoint/<name>``) and the
            action ``grant_invoke`` allows.
        """
        _types.string(_types.scope_and_id(scope, construct_id), "endpoint_name", endpoint_name, optional=False)
        return _ImportedEndpoint(scope, construct_id, endpoint_name=endpoint_name, model_type=model_type)

    @staticmethod
    def from_endpoint_attributes(
        scope: Construct,
        construct_id: str,
        *,
        endpoint_arn: str | None = None,
        endpoint_name: str | None = None,
        model_type: _imports.ModelTypeLike | None = None,
    ) -> IComprehendEndpoint:
        """An endpoint defined elsewhere, from what you know of it.

        :param endpoint_arn: its ARN. Default: built from ``endpoint_name`` and ``model_type`` in the
            importing stack's account and region.
        :param endpoint_name: its name. Default: taken from ``endpoint_arn``. One of the two is required.
        :param model_type: its model type. Default: taken from a concrete ``endpoint_arn``; unknown for a
            token ARN (grants then cover both endpoint types); required with ``endpoint_name`` alone.
        """
        return _ImportedEndpoint(
            scope, construct_id, endpoint_arn=endpoint_arn, endpoint_name=endpoint_name, model_type=model_type
        )


class _ImportedEndpoint(_metrics.EndpointBase):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint_arn: str | None = None,
        endpoint_name: str | None = None,
        model_type: _imports.ModelTypeLike | None = None,
    ) -> None:
        where = _types.scope_and_id(scope, construct_id)
        _types.import_args(where, endpoint_arn=endpoint_arn, endpoint_name=endpoint_name)
        _imports.model_kind(where, model_type)
        if endpoint_arn is not None and not cdk.Token.is_unresolved(endpoint_arn):
            # Before the Resource parses it as its environment, which fails with CDK's own message.
            _imports.check_endpoint_arn(where, endpoint_arn)
        super().__init__(scope, construct_id, environment_from_arn=endpoint_arn)
        attributes = _imports.resolve(
            self, endpoint_arn=endpoint_arn, endpoint_name=endpoint_name, model_type=model_type
        )
        self._arn = attributes.endpoint_arn
        self._name = attributes.endpoint_name
        self._model_kind = attributes.model_kind

    @property
    def endpoint_arn(self) -> str:
        return self._arn

    @property
    def endpoint_name(self) -> str:
        return self._name


def _endpoint_arn_in_stack(stack: cdk.Stack, endpoint_kind: str, name: str) -> str:
    """The ARN an endpoint named ``name`` gets in ``stack``'s account and region (``Fn::Sub`` when
    they are only known at deploy time, which keeps the shared policy small)."""
    if cdk.Token.is_unresolved(name):
        return stack.format_arn(
            service="comprehend",
            resource=endpoint_kind,
            resource_name=name,
            arn_format=cdk.ArnFormat.SLASH_RESOURCE_NAME,
        )
    return cdk.Fn.sub(f"arn:${{AWS::Partition}}:comprehend:${{AWS::Region}}:${{AWS::AccountId}}:{endpoint_kind}/{name}")
