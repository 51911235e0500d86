"""The README's lifecycle recipe, run as written.

The ``python`` blocks of the README's "Lifecycle policies" section are copied verbatim from
this module (between the RECIPE markers); ``test_readme_blocks_are_this_code`` fails if
they drift apart.
"""

# --- RECIPE START ---------------------------------------------------------------------------
import json
from datetime import datetime, timedelta, timezone

from freezegun import freeze_time

EXPIRE_OLD_UNTAGGED = json.dumps({
    "rules": [{
        "rulePriority": 1,
        "description": "Expire untagged images older than 14 days",
        "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed",
                      "countUnit": "days", "countNumber": 14},
        "action": {"type": "expire"},
    }]
})


def test_old_untagged_images_expire(ecr_client, ecr_mock):
    with freeze_time("2024-01-01") as clock:
        old = ecr_mock.push_image("app")
        release = ecr_mock.push_image("app", tag="v1.0")
        clock.tick(timedelta(days=20))
        recent = ecr_mock.push_image("app")
        ecr_client.put_lifecycle_policy(repositoryName="app", lifecyclePolicyText=EXPIRE_OLD_UNTAGGED)

        clock.tick(timedelta(days=10))  # 30 days after the first pushes
        expired = ecr_mock.apply_lifecycle_policies()

        assert [image.digest for image in expired] == [old.digest]
        remaining = ecr_client.describe_images(repositoryName="app")["imageDetails"]
        assert {image["imageDigest"] for image in remaining} == {release.digest, recent.digest}
        policy = ecr_client.get_lifecycle_policy(repositoryName="app")
        assert policy["lastEvaluatedAt"] == datetime(2024, 1, 31, tzinfo=timezone.utc)


def test_preview_first(ecr_client, ecr_mock):
    with freeze_time("2024-01-01") as clock:
        old = ecr_mock.push_image("app")
        clock.tick(timedelta(days=30))

        started = ecr_client.start_lifecycle_policy_preview(
            repositoryName="app", lifecyclePolicyText=EXPIRE_OLD_UNTAGGED)
        assert started["status"] == "IN_PROGRESS"
        ecr_client.get_waiter("lifecycle_policy_preview_complete").wait(repositoryName="app")
        preview = ecr_client.get_lifecycle_policy_preview(repositoryName="app")

        assert preview["status"] == "COMPLETE"
        assert [r["imageDigest"] for r in preview["previewResults"]] == [old.digest]
        assert preview["summary"] == {"expiringImageTotalCount": 1}
        assert ecr_client.describe_images(repositoryName="app")["imageDetails"]  # nothing deleted
# --- RECIPE END-----------------------------------------------------------------------------

SECTION = "## Lifecycle policies"


def python_blocks(markdown: str) -> list[str]:
    """The ``python`` code blocks of the lifecycle section of ``markdown``."""
    import re

    start = markdown.index(SECTION)
    following = markdown.find("\n## ", start + len(SECTION))
    section = markdown[start:following if following >= 0 else None]
    return re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)


def test_readme_blocks_are_this_code():
    from pathlib import Path

    readme = Path(__file__).resolve().parent.parent / "README.md"
    assert SECTION in readme.read_text(), "README.md has no lifecycle section"
    blocks = python_blocks(readme.read_text())
    assert blocks, "the lifecycle section shows no python code"
    module = Path(__file__).read_text()
    for block in blocks:
        assert block in module, f"README block not in {Path(__file__).name}:\n{block}"
