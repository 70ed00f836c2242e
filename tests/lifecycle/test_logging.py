"""Lifecycle tier: what the handler writes to its log (DESIGN §5: structured logs, no secrets).

Every record is one JSON object that carries the request's identifiers, so an operator can follow one
request across its invocations in CloudWatch Logs Insights; the function's ``LOG_LEVEL`` (INFO, as the
construct sets it) decides what is written, and botocore speaks only of warnings and errors.
"""

from __future__ import annotations

import json
import logging

from tests.lifecycle.conftest import props


def test_each_record_is_one_json_object_naming_the_request_at_the_functions_level(world, cfn, monkeypatch, caplog):
    # GIVEN the function's LOG_LEVEL is INFO, as the construct sets it
    monkeypatch.setenv("LOG_LEVEL", "INFO")
    # WHEN a Create runs
    answer = cfn.create("Endpoint", props())
    assert answer.body["Status"] == "SUCCESS"
    # THEN every record of the handler is a JSON object with the request's identifiers ...
    handler_lines = [line for line in caplog.text.splitlines() if "comprehend_cr." in line]
    assert handler_lines
    records = [json.loads(line) for line in handler_lines]
    assert {(r["RequestType"], r["RequestId"], r["LogicalResourceId"]) for r in records} == {
        ("Create", answer.request_id, "Endpoint")
    }
    assert any(r["message"].get("message") == "answering SUCCESS" for r in records)
    # ... written at the function's level, with botocore held to warnings
    assert logging.getLogger().level == logging.INFO
    assert logging.getLogger("botocore").level == logging.WARNING
