"""Service Quotas, for the Comprehend endpoint quotas the loopback's Comprehend enforces (nothing else).

The API is botocore's ``service-quotas/2019-06-24/service-2.json`` (JSON 1.1, ``X-Amz-Target`` prefix
``ServiceQuotasV20190624.``): GetServiceQuota and GetAWSDefaultServiceQuota (``ServiceCode`` and
``QuotaCode`` required), ListServiceQuotas (``ServiceCode`` required). A request that breaks the model is
refused with IllegalArgumentException, which these operations declare; an unknown service or quota answers
NoSuchResourceException.

The values are read live from :class:`~comprehend_loopback.comprehend.FakeComprehend` (``max_total_units``,
``max_units``, ``max_endpoints``), so a test that changes a quota changes what Service Quotas says. The
quota codes and names are those ListServiceQuotas gives for the service code ``comprehend`` in public
listings of it; the Comprehend developer guide gives the quotas by description only. Assumed: the applied
value is available (GetServiceQuota answers it, as it does once a quota was ever raised) and equals the
default unless a test changed it. Probe: ``quota_counts_larger_units_while_updating`` reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from comprehend_loopback.comprehend import ApiError, FakeComprehend, Integer, Text

SERVICE_CODE = "comprehend"
SERVICE_NAME = "Amazon Comprehend"
QUOTAS = {
    "L-2A73DEBC": ("Endpoints max inference units per account", "max_total_units"),
    "L-70EC2949": ("Endpoints max inference units per endpoint", "max_units"),
    "L-55642075": ("Endpoints max active endpoints", "max_endpoints"),
}
"""Quota code -> (quota name, the FakeComprehend attribute that holds its value)."""
ILLEGAL = "IllegalArgumentException"
_CODE = r"[a-zA-Z][a-zA-Z0-9-]{1,63}"
_MEMBERS: dict[str, dict[str, Text | Integer]] = {
    "GetServiceQuota": {
        "*ServiceCode": Text("ServiceCode", 1, 63, _CODE),
        "*QuotaCode": Text("QuotaCode", 1, 128, r"[a-zA-Z][a-zA-Z0-9-]{1,128}"),
    },
    "ListServiceQuotas": {
        "*ServiceCode": Text("ServiceCode", 1, 63, _CODE),
        "MaxResults": Integer("MaxResults", 1, 100),
        "NextToken": Text("NextToken", 0, 2048, r"^[a-zA-Z0-9/+]*={0,2}$"),
    },
}
_MEMBERS["GetAWSDefaultServiceQuota"] = _MEMBERS["GetServiceQuota"]


@dataclass
class FakeServiceQuotas:
    """Answers for the quotas of ``comprehend``; every public method named like an operation is one."""

    comprehend: FakeComprehend

    def GetServiceQuota(self, req: dict[str, Any]) -> dict[str, Any]:
        self._validate("GetServiceQuota", req)
        return {"Quota": self._quota(str(req["ServiceCode"]), str(req["QuotaCode"]))}

    def GetAWSDefaultServiceQuota(self, req: dict[str, Any]) -> dict[str, Any]:
        self._validate("GetAWSDefaultServiceQuota", req)
        return {"Quota": self._quota(str(req["ServiceCode"]), str(req["QuotaCode"]))}

    def ListServiceQuotas(self, req: dict[str, Any]) -> dict[str, Any]:
        self._validate("ListServiceQuotas", req)
        if req.get("NextToken") is not None:
            raise ApiError("InvalidPaginationTokenException", "Invalid pagination token")
        if req["ServiceCode"] != SERVICE_CODE:
            raise ApiError("NoSuchResourceException", f"The service {req['ServiceCode']} does not exist")
        return {"Quotas": [self._quota(SERVICE_CODE, code) for code in QUOTAS]}

    def _quota(self, service_code: str, quota_code: str) -> dict[str, Any]:
        if service_code != SERVICE_CODE or quota_code not in QUOTAS:
            raise ApiError("NoSuchResourceException", f"The quota {service_code}/{quota_code} does not exist")
        name, attribute = QUOTAS[quota_code]
        region, account = self.comprehend.region, self.comprehend.account
        return {
            "ServiceCode": SERVICE_CODE,
            "ServiceName": SERVICE_NAME,
            "QuotaArn": f"arn:aws:servicequotas:{region}:{account}:{SERVICE_CODE}/{quota_code}",
            "QuotaCode": quota_code,
            "QuotaName": name,
            "Value": float(getattr(self.comprehend, attribute)),
            "Unit": "None",
            "Adjustable": True,
            "GlobalQuota": False,
        }

    def _validate(self, operation: str, req: Any) -> None:
        if not isinstance(req, dict):
            raise ApiError(ILLEGAL, "the request must be a JSON object")
        for key, shape in _MEMBERS[operation].items():
            member = key.lstrip("*")
            if req.get(member) is None:
                if key.startswith("*"):
                    raise ApiError(ILLEGAL, f"{member} is required")
                continue
            if (problem := shape.problem(req[member])) is not None:
                raise ApiError(ILLEGAL, f"{member}: {problem}")
