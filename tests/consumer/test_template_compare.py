"""The comparison the minimum-version test relies on: it must see a change in the library's resources, and
set aside only the app's own and the differences aws-cdk-lib explains. Fast (no environment, no synth)."""

from __future__ import annotations

import copy

import pytest

from tools.find_minimum import Annotation, Synthesis, compare, library_paths, lower_bound, owned_by_library

FUNCTION = {
    "Type": "AWS::Lambda::Function",
    "Properties": {"Runtime": "python3.14", "MemorySize": 256},
    "Metadata": {"aws:cdk:path": "FullFeatureStack/ComprehendEndpointProvider/Handler/Resource"},
}
TARGET = {
    "Type": "AWS::ApplicationAutoScaling::ScalableTarget",
    "Properties": {"MaxCapacity": 4, "Tags": [{"Key": "cost-center", "Value": "42"}]},
    "Metadata": {"aws:cdk:path": "FullFeatureStack/News/InferenceUnitsScaling/Target/Resource"},
}
TOPIC = {"Type": "AWS::SNS::Topic", "Metadata": {"aws:cdk:path": "FullFeatureStack/CostAlerts/Resource"}}
WARNING = Annotation("warning", "/FullFeatureStack/People", "desired_inference_units 12 is above the default quota")


def synthesis(**resources) -> Synthesis:
    return Synthesis(0, "", {"FullFeatureStack": {"Resources": resources}}, [WARNING])


@pytest.fixture
def reference() -> Synthesis:
    return synthesis(Handler=FUNCTION, Target=TARGET, Topic=TOPIC, CDKMetadata={"Type": "AWS::CDK::Metadata"})


def test_identical_templates_have_no_differences(reference):
    candidate = copy.deepcopy(reference)
    del candidate.templates["FullFeatureStack"]["Resources"]["CDKMetadata"]  # names the version: ignored
    differences = compare(reference, candidate)
    assert (differences.library, differences.explained, differences.app) == ([], [], [])


def test_a_changed_property_of_a_library_resource_is_the_librarys_difference(reference):
    candidate = copy.deepcopy(reference)
    candidate.templates["FullFeatureStack"]["Resources"]["Handler"]["Properties"]["Runtime"] = "python3.13"
    differences = compare(reference, candidate)
    assert differences.library == [
        'FullFeatureStack/Resources/Handler/Properties/Runtime: "python3.14" -> "python3.13"'
    ]


def test_a_missing_library_resource_or_warning_is_the_librarys_difference(reference):
    candidate = copy.deepcopy(reference)
    del candidate.templates["FullFeatureStack"]["Resources"]["Handler"]
    candidate.annotations = []
    differences = compare(reference, candidate)
    assert len(differences.library) == 2
    assert differences.library[1].startswith("warning only in the reference: /FullFeatureStack/People")


def test_stack_tags_missing_on_a_scalable_target_are_explained_but_other_tag_changes_are_not(reference):
    candidate = copy.deepcopy(reference)
    del candidate.templates["FullFeatureStack"]["Resources"]["Target"]["Properties"]["Tags"]
    assert compare(reference, candidate).explained and not compare(reference, candidate).library
    candidate.templates["FullFeatureStack"]["Resources"]["Target"]["Properties"]["Tags"] = [{"Key": "x", "Value": "y"}]
    assert compare(reference, candidate).library


def test_a_difference_in_the_apps_own_resources_is_set_aside(reference):
    candidate = copy.deepcopy(reference)
    candidate.templates["FullFeatureStack"]["Resources"]["Topic"]["Properties"] = {"TopicName": "x"}
    differences = compare(reference, candidate)
    assert differences.library == [] and len(differences.app) == 1


def test_resources_without_path_metadata_cannot_be_compared(reference):
    candidate = copy.deepcopy(reference)
    del candidate.templates["FullFeatureStack"]["Resources"]["Handler"]["Metadata"]
    del reference.templates["FullFeatureStack"]["Resources"]["Handler"]["Metadata"]
    with pytest.raises(ValueError, match="aws:cdk:path"):
        compare(reference, candidate)


def test_library_paths_are_read_from_the_full_feature_app():
    paths = library_paths()
    assert "ComprehendEndpointProvider/" in paths and "News/" in paths
    assert owned_by_library("FullFeatureStack/News/IdleAlarm/Resource", paths)
    assert not owned_by_library("FullFeatureStack/Newsletter/Resource", paths)
    assert not owned_by_library("FullFeatureStack/Reader/Resource", paths)


def test_lower_bound_reads_requires_dist():
    requires = ["aws-cdk.asset-awscli-v1 ==2.2.242", "constructs <11.0.0,>=10.0.0", "jsii<2.0.0,>=1.118.0"]
    assert lower_bound(requires, "constructs") == "10.0.0"
    assert lower_bound(requires, "aws-cdk-asset-awscli-v1") == "2.2.242"
    assert lower_bound(requires, "publication") is None
