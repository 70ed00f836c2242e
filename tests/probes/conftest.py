"""The loopback world the probes run against (shared by the probe test modules)."""

from __future__ import annotations

import pytest

from comprehend_loopback import comprehend as fake
from comprehend_loopback.world import World
from tests.probes.test_probes_offline import CLASSIFIER, FAILING, FLYWHEEL, NEWER, QUOTA_UNITS, RECOGNIZER


@pytest.fixture
def world(tmp_path):
    """A loopback world with a model of each type, one whose endpoints fail, a flywheel whose active model is a
    newer version of the classifier, and more than a page of other people's endpoints (so that ListEndpoints'
    page size shows), in a region whose inference-unit quota the quota probe may fill."""
    with World.start(tmp_path) as w:
        w.comprehend.add_model(CLASSIFIER)
        w.comprehend.add_model(RECOGNIZER)
        w.comprehend.add_model(FAILING, fails_with="The model could not be loaded")
        w.comprehend.add_model(NEWER)
        w.comprehend.add_flywheel(FLYWHEEL, "DOCUMENT_CLASSIFIER", NEWER)
        w.comprehend.max_endpoints = 1000
        w.comprehend.max_total_units = QUOTA_UNITS
        for index in range(fake.LIST_PAGE + 1):
            w.comprehend.put_foreign_endpoint(f"someone-{index:03d}", CLASSIFIER)
        yield w
