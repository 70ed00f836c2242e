"""Strays: endpoints this resource created that CloudFormation does not know about, found and deleted.

A request CloudFormation cancelled (a sibling failed), gave up on, or sent again runs on in Lambda and may
create an endpoint that CloudFormation never learns of, so no cleanup would ever delete it. Every later Update
and Delete of the resource therefore lists the region's endpoints and deletes each one that

- carries this stack's and this logical resource's ownership tags and the request tag (so it was created by
  this version of the handler: an endpoint from before the request tag existed is never swept);
- is not marked retained (``RemovalPolicy: Retain``: CloudFormation keeps it on purpose);
- is neither the physical id CloudFormation sent, nor the request's answer, nor the physical id the stack
  holds for the resource now (``keep``);
- was created no later than this request was sent (``created_before``): a newer request that reuses the name (a
  rename back, a resource added again) owns a newer endpoint, which no late request may delete;

whatever its status. Its tags are read again right before each deletion, so nothing carried between
invocations can make the handler delete an endpoint it does not own.
"""

from __future__ import annotations

import logging
from collections.abc import Collection

from comprehend_cr.calls import NotOurs, Rejected, Service, creation_time
from comprehend_cr.ownership import Owner, is_sweepable

logger = logging.getLogger(__name__)

BUSY = frozenset({"CREATING", "UPDATING"})


def find_strays(service: Service, owner: Owner, *, keep: Collection[str], created_before: float | None) -> list[str]:
    """The ARNs of this resource's strays (see module doc), in ListEndpoints order."""
    strays = []
    for item in service.endpoints():
        arn = str(item.get("EndpointArn") or "")
        if not arn or arn in keep or item.get("Status") == "DELETING":
            continue
        born = creation_time(item)
        if created_before is not None and born is not None and born > created_before:
            continue
        if _sweepable(service, arn, owner):
            logger.warning({"message": "stray endpoint found", "EndpointArn": arn})
            strays.append(arn)
    return strays


def sweep_round(
    service: Service,
    owner: Owner,
    strays: list[str],
    *,
    until_gone: bool = False,
    created_before: float | None = None,
) -> list[str]:
    """Delete what can be deleted now; the strays still to delete (busy ones wait for a later round). With
    ``until_gone`` (a Delete, which answers only once its endpoints no longer exist, so that a model in the
    same stack can be deleted next) a stray stays in the list until it is gone. Each one's creation time and tags
    are read again first: a list carried between invocations is never trusted."""
    remaining = []
    for arn in strays:
        try:
            live = service.describe(arn)
        except NotOurs:
            continue
        if live is None:
            continue
        if live["Status"] == "DELETING":
            if until_gone:
                remaining.append(arn)
            continue
        born = creation_time(live)
        newer = created_before is not None and born is not None and born > created_before
        if newer or not _sweepable(service, arn, owner):
            logger.warning({"message": "not a stray of this request's to delete, left alone", "EndpointArn": arn})
            continue
        if live["Status"] in BUSY or not service.delete(arn):
            remaining.append(arn)
            continue
        logger.info({"message": "DeleteEndpoint", "EndpointArn": arn, "Why": "a stray CloudFormation never knew"})
        if until_gone:
            remaining.append(arn)
    return remaining


def _sweepable(service: Service, arn: str, owner: Owner) -> bool:
    try:
        tags = service.tags(arn)
    except Rejected:
        return False  # not provably ours (IAM shows only this stack's endpoints' tags)
    return Owner.from_tags(tags) == owner and is_sweepable(tags)
