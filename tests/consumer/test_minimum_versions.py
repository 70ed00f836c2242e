"""The lower bounds pyproject.toml declares are true: the wheel installed with exactly the declared minimum
aws-cdk-lib and constructs, on the declared minimum Python, synthesizes an app that uses every feature, and
gives the library's resources exactly the template the pinned aws-cdk-lib gives them.

Lower a bound below what the construct needs and this fails (e.g. aws-cdk-lib 2.221.1: ``type object
'Runtime' has no attribute 'PYTHON_3_14'``). How the bounds were found: ``python -m tools.find_minimum``
and docs/minimum-versions.md.
"""

from __future__ import annotations

import pytest

from tests.consumer.conftest import declared_minimums, declared_python
from tools import find_minimum

pytestmark = pytest.mark.slow


def test_the_minimum_environment_holds_exactly_the_declared_minimums(minimum_env):
    minimums = declared_minimums()
    assert minimum_env.installed["aws-cdk-lib"] == minimums["aws-cdk-lib"]
    assert minimum_env.installed["constructs"] == minimums["constructs"]
    assert minimum_env.unpinned() == {}, "pin these in constraints-minimum.txt (python -m tools.find_minimum)"


def test_the_declared_minimum_python_is_the_one_used(minimum_env):
    result = find_minimum.run([minimum_env.python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
    assert result.stdout.strip() == declared_python()


def test_the_declared_minimums_synthesize_every_feature_as_the_pinned_versions_do(
    minimum_env, pinned_full_feature, tmp_path
):
    # GIVEN the wheel with the declared minimum aws-cdk-lib and constructs (fixture), and the same app
    # synthesized with the pinned versions
    assert pinned_full_feature.failure() is None, pinned_full_feature.output[-4000:]
    # WHEN a consumer's app that uses every feature of the library is synthesized
    synthesis = find_minimum.synthesize(minimum_env.python, tmp_path / "app")
    # THEN it synthesizes without an error
    assert synthesis.failure() is None, synthesis.output[-4000:]
    # AND the library's resources and warnings are exactly those of the pinned versions
    differences = find_minimum.compare(pinned_full_feature, synthesis)
    assert differences.library == [], "\n".join(differences.library)
