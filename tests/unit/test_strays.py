"""Unit tier: which endpoints a request sweeps as strays (``comprehend_cr.sweep``), on a recording fake of
Comprehend: ownership and request tags, the retained mark, what CloudFormation knows, creation times, statuses."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from comprehend_cr.calls import Service
from comprehend_cr.ownership import Owner
from comprehend_cr.sweep import find_strays, sweep_round
from tests.unit.stubs import STACK, Clock, owned

SENT = 1_796_292_900.0
A = "arn:aws:comprehend:us-east-1:111122223333:document-classifier-endpoint/a"
B = "arn:aws:comprehend:us-east-1:111122223333:document-classifier-endpoint/b"
OWNER = Owner(STACK, "Endpoint")


class Endpoints:
    """Endpoints by ARN: status, creation time and tags; records deletions and untaggings."""

    def __init__(self, **endpoints: tuple[str, float, list[dict[str, str]]]) -> None:
        self.items: dict[str, list[Any]] = {arn: list(v) for arn, v in endpoints.items()}
        self.deleted: list[str] = []
        self.untagged: list[tuple[str, list[str]]] = []
        self.hidden: set[str] = set()
        """ARNs that exist (ListEndpoints shows them) but that IAM refuses to describe: another stack's."""

    def _item(self, arn: str) -> dict[str, Any]:
        status, born, _ = self.items[arn]
        return {"EndpointArn": arn, "Status": status, "CreationTime": datetime.fromtimestamp(born, UTC)}

    def list_endpoints(self, **_: Any) -> dict[str, Any]:
        hidden = [{"EndpointArn": arn, "Status": "IN_SERVICE"} for arn in sorted(self.hidden)]
        return {"EndpointPropertiesList": [self._item(arn) for arn in self.items] + hidden}

    def describe_endpoint(self, EndpointArn: str) -> dict[str, Any]:
        if EndpointArn not in self.items:
            code = "AccessDeniedException" if EndpointArn in self.hidden else "ResourceNotFoundException"
            raise ClientError({"Error": {"Code": code, "Message": "refused"}}, "DescribeEndpoint")
        return {"EndpointProperties": self._item(EndpointArn)}

    def list_tags_for_resource(self, ResourceArn: str) -> dict[str, Any]:
        return {"Tags": self.items[ResourceArn][2]}

    def delete_endpoint(self, EndpointArn: str) -> dict[str, Any]:
        self.deleted.append(EndpointArn)
        self.items[EndpointArn][0] = "DELETING"
        return {}

    def untag_resource(self, ResourceArn: str, TagKeys: list[str]) -> dict[str, Any]:
        self.untagged.append((ResourceArn, TagKeys))
        return {}


def service(endpoints: Endpoints) -> Service:
    clock = Clock(SENT)
    return Service(endpoints, clock, clock.now() + 900)


def by(arn: str, status: str = "IN_SERVICE", born: float = SENT - 60, tags: list[dict[str, str]] | None = None):
    return {arn: (status, born, owned() if tags is None else tags)}


def test_an_endpoint_being_deleted_is_no_stray_to_delete_again():
    # GIVEN two owned endpoints, one already DELETING
    endpoints = Endpoints(**by(A, "DELETING"), **by(B))
    # WHEN strays are found
    # THEN only the other one is a stray
    assert find_strays(service(endpoints), OWNER, keep=set(), created_before=SENT + 1) == [B]


def test_an_endpoint_created_after_the_request_was_sent_is_not_its_stray_but_one_created_at_that_second_is():
    # GIVEN endpoints created at the request's send second and a second after it (a newer request's)
    endpoints = Endpoints(**by(A, born=SENT + 1), **by(B, born=SENT + 2))
    # WHEN strays are found for a request whose endpoints must be created no later than SENT + 1
    found = find_strays(service(endpoints), OWNER, keep=set(), created_before=SENT + 1)
    # THEN the newer one is left alone, and the search went on past it (order does not matter)
    assert found == [A]
    assert find_strays(
        service(Endpoints(**by(B, born=SENT + 2), **by(A))), OWNER, keep=set(), created_before=SENT + 1
    ) == [A]


def test_without_a_send_time_every_owned_endpoint_is_a_stray_whatever_its_age():
    endpoints = Endpoints(**by(A, born=SENT + 500))
    assert find_strays(service(endpoints), OWNER, keep=set(), created_before=None) == [A]


def test_a_round_deletes_a_stray_once_and_forgets_it_unless_the_request_waits_until_it_is_gone():
    # GIVEN one owned stray in service
    endpoints = Endpoints(**by(A))
    # WHEN an Update's round runs (the default: not until gone)
    assert sweep_round(service(endpoints), OWNER, [A], created_before=SENT + 1) == []
    # THEN it was deleted; and a Delete's round keeps it listed while it is DELETING
    assert endpoints.deleted == [A]
    assert sweep_round(service(endpoints), OWNER, [A], until_gone=True, created_before=SENT + 1) == [A]
    assert endpoints.deleted == [A], "a DELETING stray is not deleted twice"


def test_a_round_reads_the_creation_time_again_and_spares_a_newer_endpoint_of_the_name():
    # GIVEN a carried stray list naming A, which was meanwhile deleted and created again after the request was sent
    endpoints = Endpoints(**by(A, born=SENT + 30))
    # WHEN a round runs
    left = sweep_round(service(endpoints), OWNER, [A], created_before=SENT + 1)
    # THEN the newer A is left alone and dropped from the list
    assert (left, endpoints.deleted) == ([], [])


def test_a_round_at_the_exact_second_still_deletes():
    endpoints = Endpoints(**by(A, born=SENT + 1))
    assert sweep_round(service(endpoints), OWNER, [A], created_before=SENT + 1) == []
    assert endpoints.deleted == [A]


def test_a_busy_stray_waits_for_a_later_round():
    endpoints = Endpoints(**by(A, "CREATING"))
    assert sweep_round(service(endpoints), OWNER, [A], created_before=SENT + 1) == [A]
    assert endpoints.deleted == []


def test_untag_sends_the_keys_sorted_for_the_endpoint():
    # GIVEN an endpoint; WHEN the service untags two keys given out of order
    endpoints = Endpoints(**by(A))
    service(endpoints).untag(A, ["team", "cost-center"])
    # THEN one UntagResource names the endpoint and the keys, sorted
    assert endpoints.untagged == [(A, ["cost-center", "team"])]


C = "arn:aws:comprehend:us-east-1:111122223333:document-classifier-endpoint/c"


@pytest.mark.parametrize("first", ["gone", "hidden by IAM", "another stack's", "newer than the request"])
def test_a_stray_the_round_passes_over_does_not_stop_it_from_deleting_the_next(first):
    # GIVEN a carried stray list whose first endpoint the round must leave alone, then a real stray B
    endpoints = Endpoints(**by(B))
    if first == "hidden by IAM":
        endpoints.hidden.add(C)
    elif first == "another stack's":
        endpoints.items.update(by(C, tags=owned(stack=STACK.replace("stack/s/", "stack/other/"))))
    elif first == "newer than the request":
        endpoints.items.update(by(C, born=SENT + 30))
    # WHEN a round runs over [C, B]
    left = sweep_round(service(endpoints), OWNER, [C, B], created_before=SENT + 1)
    # THEN C is dropped untouched, and B is still deleted
    assert (left, endpoints.deleted) == ([], [B])
