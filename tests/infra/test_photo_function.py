"""The photo function: its schedule for the sweep, and an S3 policy of exactly what it needs."""

from __future__ import annotations

from typing import Any

from tests.infra import rules
from tests.infra.cfn import properties, ref_name, resources

BUCKET = "arn:${AWS::Partition}:s3:::${AWS::StackName}-photos-${AWS::AccountId}"


def _s3_grants(template: dict[str, Any], role: str) -> dict[str, tuple[set[str], Any]]:
    """Resource (Sub text) -> (S3 actions, Condition) for one role's S3 statements."""
    grants: dict[str, tuple[set[str], Any]] = {}
    for name, statement in rules._statements(template):
        actions = {str(a) for a in rules._as_list(statement.get("Action"))}
        if name != role or not any(a.startswith("s3:") for a in actions):
            continue
        assert statement.get("Effect") == "Allow"
        for resource in rules._as_list(statement["Resource"]):
            text = rules._sub_text(resource)
            assert text is not None, resource
            before, condition = grants.get(text, (set(), None))
            grants[text] = (before | actions, statement.get("Condition") or condition)
    return grants


def test_the_sweep_runs_every_15_minutes(transformed: dict[str, Any]) -> None:
    scheduled = [
        properties(rule)
        for rule in resources(transformed, "AWS::Events::Rule").values()
        if properties(rule).get("ScheduleExpression")
        and properties(rule)["Targets"][0]["Arn"] == {"Fn::GetAtt": ["PhotoFunction", "Arn"]}
    ]

    assert [p["ScheduleExpression"] for p in scheduled] == ["rate(15 minutes)"]
    assert len(scheduled[0]["Targets"]) == 1
    permissions = [
        properties(p)
        for p in resources(transformed, "AWS::Lambda::Permission").values()
        if properties(p).get("Principal") == "events.amazonaws.com"
    ]
    # The realtime function has a sweep of its own (tests/infra/test_realtime_function.py).
    assert sorted(ref_name(p["FunctionName"]) for p in permissions) == [
        "PhotoFunction",
        "RealtimeFunction",
    ]


def test_the_photo_function_may_do_exactly_what_processing_and_the_sweep_need(
    transformed: dict[str, Any],
) -> None:
    assert _s3_grants(transformed, "PhotoFunctionRole") == {
        f"{BUCKET}/uploads/*": ({"s3:GetObject", "s3:DeleteObject"}, None),
        f"{BUCKET}/photos/*": ({"s3:GetObject", "s3:PutObject", "s3:DeleteObject"}, None),
        BUCKET: (
            {"s3:ListBucket"},
            {"StringLike": {"s3:prefix": ["uploads/*", "photos/*"]}},
        ),
    }


def test_every_bucket_listing_is_limited_to_a_prefix(transformed: dict[str, Any]) -> None:
    listings = [
        (name, statement)
        for name, statement in rules._statements(transformed)
        if "s3:ListBucket" in rules._as_list(statement.get("Action"))
    ]

    assert {name for name, _ in listings} == {"ApiFunctionRole", "PhotoFunctionRole", "TaskRole"}
    for name, statement in listings:
        assert rules._as_list(statement["Action"]) == ["s3:ListBucket"], name
        prefixes = statement["Condition"]["StringLike"]["s3:prefix"]
        assert all(p in ("uploads/*", "photos/*") for p in rules._as_list(prefixes)), name


def test_the_container_may_do_what_the_api_function_does_with_photos(
    transformed: dict[str, Any],
) -> None:
    # The same app serves both front doors (the admin's reprocess lists an original's key).
    assert _s3_grants(transformed, "TaskRole") == _s3_grants(transformed, "ApiFunctionRole")
