"""Synthesized CloudFormation templates, read as CloudFormation reads them.

- :func:`load_assembly` finds the stacks of a cloud assembly (``cdk.out``) and their templates;
- :class:`StackTemplate` knows a template's resources, their dependencies (``DependsOn`` and every
  ``Ref``/``Fn::GetAtt``/``Fn::Sub`` reference) in CloudFormation's order, which resources its
  conditions keep, and where the Lambda assets it names were staged;
- :class:`Resolver` evaluates intrinsic functions against a deployed stack's physical ids and
  attributes. It knows ``Ref``, ``Fn::GetAtt``, ``Fn::Join``, ``Fn::Sub``, ``Fn::Select``,
  ``Fn::Split``, ``Fn::If``, ``Fn::ImportValue`` and the condition functions; anything else raises
  :class:`TemplateError` naming it, rather than guessing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

NO_VALUE = object()
"""What ``Ref AWS::NoValue`` resolves to: the property is left out."""
_SUB_REF = re.compile(r"\$\{([^}!][^}]*)\}")


class TemplateError(ValueError):
    """The template uses something the loopback CloudFormation does not model, or is malformed."""


@dataclass(frozen=True)
class StackTemplate:
    """One stack of a cloud assembly: its name, its template and the assembly directory."""

    name: str
    body: Mapping[str, Any]
    directory: Path
    account: str | None = None
    """The stack's account from the manifest (None for an environment-agnostic stack)."""
    region: str | None = None

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return dict(self.body.get("Resources", {}))

    def present(self, parameters: Mapping[str, Any] | None = None) -> list[str]:
        """Logical ids of the resources whose ``Condition`` (if any) holds, in template order."""
        conditions = Conditions(self.body.get("Conditions", {}), parameters or {})
        return [lid for lid, r in self.resources.items() if "Condition" not in r or conditions.holds(r["Condition"])]

    def dependencies(self, logical_id: str) -> set[str]:
        """Resources ``logical_id`` depends on: ``DependsOn`` and every reference in its properties."""
        resource = self.resources[logical_id]
        depends = resource.get("DependsOn", [])
        found = set([depends] if isinstance(depends, str) else depends)
        found |= set(references(resource.get("Properties", {})))
        return {d for d in found if d in self.resources and d != logical_id}

    def creation_order(self, parameters: Mapping[str, Any] | None = None) -> list[str]:
        """Present resources, every one after what it depends on (ties in template order)."""
        present = self.present(parameters)
        order: list[str] = []
        done: set[str] = set()
        visiting: set[str] = set()

        def visit(lid: str) -> None:
            if lid in done:
                return
            if lid in visiting:
                raise TemplateError(f"circular dependency through {lid}")
            visiting.add(lid)
            for dep in sorted(self.dependencies(lid), key=_index(present)):
                if dep in present:
                    visit(dep)
            visiting.discard(lid)
            done.add(lid)
            order.append(lid)

        for lid in present:
            visit(lid)
        return order

    def asset_dir(self, logical_id: str) -> Path | None:
        """Where the Lambda code of ``logical_id`` was staged, if anywhere: the ``aws:asset:path``
        metadata the CLI asks for, else ``asset.<hash>`` from the code's S3 key (an in-process synth)."""
        resource = self.resources[logical_id]
        path = resource.get("Metadata", {}).get("aws:asset:path")
        if path is None:
            key = resource.get("Properties", {}).get("Code", {}).get("S3Key")
            if not isinstance(key, str) or not key.endswith(".zip"):
                return None
            path = "asset." + key.removesuffix(".zip")
        directory = self.directory / str(path)
        return directory if directory.is_dir() else None


def _index(order: list[str]) -> Callable[[str], int]:
    positions = {lid: i for i, lid in enumerate(order)}
    return lambda lid: positions.get(lid, len(positions))


def references(value: Any) -> Iterator[str]:
    """Every logical id (or parameter, or pseudo parameter) ``value`` refers to."""
    if isinstance(value, list):
        for item in value:
            yield from references(item)
    elif isinstance(value, dict):
        if len(value) == 1:
            ((fn, arg),) = value.items()
            if fn == "Ref" and isinstance(arg, str):
                yield arg
                return
            if fn == "Fn::GetAtt":
                target = arg[0] if isinstance(arg, list) else str(arg).split(".", 1)[0]
                yield str(target)
                return
            if fn == "Fn::Sub":
                text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
                for name in _SUB_REF.findall(text):
                    if name.split(".", 1)[0] not in variables:
                        yield name.split(".", 1)[0]
                yield from references(variables)
                return
        for item in value.values():
            yield from references(item)


def load_assembly(directory: Path) -> list[StackTemplate]:
    """The stacks of the cloud assembly in ``directory``, in the order of its manifest."""
    manifest_file = directory / "manifest.json"
    if not manifest_file.is_file():
        raise TemplateError(f"{directory} is not a cloud assembly (no manifest.json): run `cdk synth` first")
    manifest = json.loads(manifest_file.read_text())
    stacks = []
    for artifact_id, artifact in manifest.get("artifacts", {}).items():
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        properties = artifact.get("properties", {})
        template_file = directory / properties.get("templateFile", f"{artifact_id}.template.json")
        name = properties.get("stackName", artifact_id)
        account, region = _environment(str(artifact.get("environment", "")))
        stacks.append(StackTemplate(name, json.loads(template_file.read_text()), directory, account, region))
    if not stacks:
        raise TemplateError(f"the cloud assembly in {directory} has no CloudFormation stack")
    return stacks


def _environment(value: str) -> tuple[str | None, str | None]:
    """``aws://ACCOUNT/REGION`` of a manifest artifact; ``unknown-account``/``unknown-region`` are None."""
    account, _, region = value.removeprefix("aws://").partition("/")
    return (
        account if account and account != "unknown-account" else None,
        region if region and region != "unknown-region" else None,
    )


@dataclass
class Conditions:
    """A template's ``Conditions``, evaluated on demand."""

    definitions: Mapping[str, Any]
    parameters: Mapping[str, Any]
    pseudo: Mapping[str, str] = field(default_factory=dict)

    def holds(self, name: str) -> bool:
        if name not in self.definitions:
            raise TemplateError(f"unknown condition {name!r}")
        return bool(self._eval(self.definitions[name]))

    def _eval(self, value: Any) -> Any:
        if isinstance(value, dict) and len(value) == 1:
            ((fn, arg),) = value.items()
            if fn == "Fn::Equals":
                return self._eval(arg[0]) == self._eval(arg[1])
            if fn == "Fn::Or":
                return any(self._eval(a) for a in arg)
            if fn == "Fn::And":
                return all(self._eval(a) for a in arg)
            if fn == "Fn::Not":
                return not self._eval(arg[0])
            if fn == "Condition":
                return self.holds(arg)
            if fn == "Ref":
                return self.pseudo.get(arg, self.parameters.get(arg, arg))
            raise TemplateError(f"{fn} is not modelled in conditions")
        return value


class Resolver:
    """Evaluates intrinsic functions the way CloudFormation does for one stack at one moment.

    ``physical_ids`` and ``attributes`` describe the deployed resources; a ``Ref``/``GetAtt`` of a
    resource that has neither raises :class:`TemplateError` (CloudFormation would wait for it).
    """

    def __init__(
        self,
        *,
        pseudo: Mapping[str, str],
        parameters: Mapping[str, Any],
        physical_ids: Mapping[str, str],
        attributes: Mapping[str, Mapping[str, str]],
        conditions: Conditions,
        exports: Mapping[str, str],
    ) -> None:
        self.pseudo = pseudo
        self.parameters = parameters
        self.physical_ids = physical_ids
        self.attributes = attributes
        self.conditions = conditions
        self.exports = exports

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [v for v in (self.resolve(item) for item in value) if v is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((fn, arg),) = value.items()
            if fn == "Ref" or fn.startswith("Fn::"):
                return self._function(fn, arg)
        resolved = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}

    def _function(self, fn: str, arg: Any) -> Any:
        if fn == "Ref":
            return self.ref(str(arg))
        if fn == "Fn::GetAtt":
            target, attribute = arg if isinstance(arg, list) else str(arg).split(".", 1)
            return self.get_att(str(target), str(attribute))
        if fn == "Fn::Join":
            separator, items = arg
            return str(separator).join(str(self.resolve(item)) for item in self.resolve(items))
        if fn == "Fn::Sub":
            text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))
            return _SUB_REF.sub(lambda m: str(self._sub_value(m[1], variables)), text).replace("${!", "${")
        if fn == "Fn::Select":
            index, items = arg
            return self.resolve(items)[int(self.resolve(index))]
        if fn == "Fn::Split":
            separator, text = arg
            return str(self.resolve(text)).split(str(separator))
        if fn == "Fn::If":
            name, when_true, when_false = arg
            return self.resolve(when_true if self.conditions.holds(name) else when_false)
        if fn == "Fn::ImportValue":
            name = str(self.resolve(arg))
            if name not in self.exports:
                raise TemplateError(f"Fn::ImportValue: no stack exports {name!r}")
            return self.exports[name]
        raise TemplateError(f"{fn} is not modelled by the loopback CloudFormation")

    def _sub_value(self, name: str, variables: Mapping[str, Any]) -> Any:
        if name in variables:
            return variables[name]
        if "." in name:
            target, attribute = name.split(".", 1)
            return self.get_att(target, attribute)
        return self.ref(name)

    def ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.physical_ids:
            return self.physical_ids[name]
        raise TemplateError(f"Ref {name}: no such parameter, or the resource does not exist yet")

    def get_att(self, target: str, attribute: str) -> str:
        values = self.attributes.get(target)
        if values is None or attribute not in values:
            raise TemplateError(f"Fn::GetAtt {target}.{attribute}: not available")
        return values[attribute]
