"""Reading a synthesized ``cdk.out``: the custom resources, their properties resolved as
CloudFormation would resolve them, the handler's staged asset, and the outputs."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from comprehend_loopback.cloudformation import FUNCTION_ARN, STACK_ID
from comprehend_loopback.comprehend import ACCOUNT, REGION

RESOURCE_TYPE = "Custom::ComprehendEndpoint"
PSEUDO = {
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackId": STACK_ID,
}


class DemoError(Exception):
    """Something the user must fix; the message says what."""


@dataclass
class Stack:
    name: str
    template: dict[str, Any]
    outdir: Path

    @classmethod
    def load(cls, outdir: Path, name: str) -> Stack:
        path = outdir / f"{name}.template.json"
        if not path.is_file():
            raise DemoError(f"{path} not found: synthesize the app first (make synth)")
        return cls(name, json.loads(path.read_text()), outdir)

    def endpoints(self) -> list[str]:
        """Logical ids of the Custom::ComprehendEndpoint resources, in template order."""
        found = [lid for lid, r in self.template.get("Resources", {}).items() if r.get("Type") == RESOURCE_TYPE]
        if not found:
            raise DemoError(f"the template of {self.name} has no {RESOURCE_TYPE} resource: nothing to deploy")
        return found

    def handler_asset(self, logical_id: str) -> Path:
        """The staged asset directory of the function behind ``logical_id``'s ServiceToken."""
        function = self._function_of(logical_id)
        resource = self.template["Resources"][function]
        path = resource.get("Metadata", {}).get("aws:asset:path")
        if path is None:
            key = resource["Properties"]["Code"]["S3Key"]
            path = "asset." + re.sub(r"\.zip$", "", key if isinstance(key, str) else "")
        asset = self.outdir / str(path)
        if not (asset / "index.py").is_file():
            raise DemoError(f"the handler's asset {asset} is missing or has no index.py")
        return asset

    def _function_of(self, logical_id: str) -> str:
        token = self.template["Resources"][logical_id]["Properties"]["ServiceToken"]
        target = token.get("Ref") or token.get("Fn::GetAtt", [None])[0]
        resource = self.template["Resources"][target]
        if resource["Type"] == "AWS::Lambda::Alias":
            target = resource["Properties"]["FunctionName"]["Ref"]
        return str(target)

    def properties(self, logical_id: str) -> dict[str, Any]:
        """The resource's properties with intrinsic functions resolved (as CloudFormation sends them)."""
        props = self.resolve(self.template["Resources"][logical_id].get("Properties", {}))
        props["ServiceToken"] = FUNCTION_ARN
        return dict(props)

    def outputs(self, attributes: dict[str, dict[str, str]]) -> dict[str, str]:
        """Output name -> value, with ``Fn::GetAtt`` of deployed custom resources from their Data."""
        return {name: str(self.resolve(o["Value"], attributes)) for name, o in self.template.get("Outputs", {}).items()}

    def resolve(self, value: Any, attributes: dict[str, dict[str, str]] | None = None) -> Any:
        attributes = attributes or {}
        if isinstance(value, list):
            return [self.resolve(v, attributes) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((fn, arg),) = value.items()
            if fn == "Ref":
                return PSEUDO.get(arg, f"{self.name}-{arg}-physical")
            if fn == "Fn::GetAtt":
                resource, attribute = arg
                if resource in attributes:
                    return attributes[resource][attribute]
                return f"arn:aws:iam::{ACCOUNT}:role/{self.name}-{resource}" if attribute == "Arn" else attribute
            if fn == "Fn::Join":
                return arg[0].join(str(self.resolve(v, attributes)) for v in arg[1])
            if fn == "Fn::Sub":
                text = arg if isinstance(arg, str) else arg[0]
                return re.sub(r"\$\{([^}]+)\}", lambda m: str(self.resolve({"Ref": m[1]}, attributes)), text)
        return {k: self.resolve(v, attributes) for k, v in value.items()}
