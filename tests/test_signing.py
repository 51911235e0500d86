"""Managed signing: signing configuration, and the Notation signature a matching push gets."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from .ecr_helpers import push_image

ACCOUNT = "123456789012"
PROFILE = f"arn:aws:signer:us-east-1:{ACCOUNT}:/signing-profiles/release_signer"
OTHER = f"arn:aws:signer:us-east-1:{ACCOUNT}:/signing-profiles/audit_signer"
SIGNATURE = "application/vnd.cncf.notary.signature"


def _rule(profile, *filters):
    rule = {"signingProfileArn": profile}
    if filters:
        rule["repositoryFilters"] = [{"filter": f, "filterType": "WILDCARD_MATCH"} for f in filters]
    return rule


def _configure(client, *rules):
    return client.put_signing_configuration(signingConfiguration={"rules": list(rules)})


def _statuses(client, repository, tag):
    answer = client.describe_image_signing_status(repositoryName=repository, imageId={"imageTag": tag})
    return answer["signingStatuses"]


def _error(info):
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]


def test_configuration_round_trip(ecr_client):
    with pytest.raises(ClientError) as info:
        ecr_client.get_signing_configuration()
    assert _error(info) == (
        "SigningConfigurationNotFoundException",
        f"Signing configuration does not exist for the registry with id '{ACCOUNT}'",
    )
    rules = [_rule(PROFILE, "team/*", "*prod*"), _rule(OTHER)]
    assert _configure(ecr_client, *rules)["signingConfiguration"] == {"rules": rules}
    got = ecr_client.get_signing_configuration()
    assert got["registryId"] == ACCOUNT and got["signingConfiguration"] == {"rules": rules}
    deleted = ecr_client.delete_signing_configuration()
    assert deleted["signingConfiguration"] == {"rules": rules}
    with pytest.raises(ClientError) as info:
        ecr_client.delete_signing_configuration()
    assert _error(info)[0] == "SigningConfigurationNotFoundException"


def test_model_constraints_are_refused_with_the_member_named(unvalidated):
    with pytest.raises(ClientError) as info:
        _configure(unvalidated, _rule("arn:aws:signer:us-east-1:1:/signing-profiles/x"))
    code, message = _error(info)
    assert code == "InvalidParameterException" and "signingProfileArn" in message
    with pytest.raises(ClientError) as info:
        _configure(unvalidated, *[_rule(PROFILE)] * 11)
    assert _error(info)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as info:
        _configure(unvalidated, _rule(PROFILE, "Bad Filter"))
    assert _error(info)[0] == "InvalidParameterException"
    with pytest.raises(ClientError):
        unvalidated.get_signing_configuration()  # nothing was stored


def test_a_matching_push_is_signed_with_a_notation_signature_referrer(ecr_client, ecr_mock):
    _configure(ecr_client, _rule(PROFILE, "team/*"))
    ecr_client.create_repository(repositoryName="team/app")
    image = push_image(ecr_client, "team/app", tag="v1")
    assert _statuses(ecr_client, "team/app", "v1") == [{"signingProfileArn": PROFILE, "status": "COMPLETE"}]

    referrers = ecr_client.list_image_referrers(repositoryName="team/app", subjectId={"imageDigest": image.digest})
    (signature,) = referrers["referrers"]
    assert signature["artifactType"] == SIGNATURE and signature["artifactStatus"] == "ACTIVE"
    # the signature is an image of the repository: an OCI manifest whose subject is the image
    pulled = ecr_client.batch_get_image(repositoryName="team/app", imageIds=[{"imageDigest": signature["digest"]}])
    manifest = json.loads(pulled["images"][0]["imageManifest"])
    assert manifest["subject"]["digest"] == image.digest
    assert manifest["layers"][0]["mediaType"] == "application/jose+json"
    envelope_url = ecr_client.get_download_url_for_layer(
        repositoryName="team/app", layerDigest=manifest["layers"][0]["digest"]
    )["downloadUrl"]
    assert envelope_url
    # ... that is not signed itself
    assert (
        ecr_client.describe_image_signing_status(
            repositoryName="team/app", imageId={"imageDigest": signature["digest"]}
        )["signingStatuses"]
        == []
    )
    state = ecr_mock.state()
    assert state.repository("team/app").image("v1").signing == {PROFILE: "COMPLETE"}
    assert state.signing_configuration == {"rules": (_frozen(_rule(PROFILE, "team/*")),)}


def _frozen(rule):
    return {"signingProfileArn": rule["signingProfileArn"], "repositoryFilters": tuple(rule["repositoryFilters"])}


def test_each_profile_of_the_matching_rules_signs_once(ecr_client):
    _configure(ecr_client, _rule(PROFILE, "team/*"), _rule(OTHER, "*app"), _rule(PROFILE))
    ecr_client.create_repository(repositoryName="team/app")
    ecr_client.create_repository(repositoryName="other")
    push_image(ecr_client, "team/app", tag="v1")
    push_image(ecr_client, "other", tag="v1")
    assert [s["signingProfileArn"] for s in _statuses(ecr_client, "team/app", "v1")] == [PROFILE, OTHER]
    assert [s["signingProfileArn"] for s in _statuses(ecr_client, "other", "v1")] == [PROFILE]  # the filterless rule
    # tagging the image again signs nothing more
    image = ecr_client.batch_get_image(repositoryName="other", imageIds=[{"imageTag": "v1"}])["images"][0]
    ecr_client.put_image(repositoryName="other", imageManifest=image["imageManifest"], imageTag="v2")
    assert len(_statuses(ecr_client, "other", "v2")) == 1
    ids = ecr_client.list_images(repositoryName="other")["imageIds"]
    assert len({i["imageDigest"] for i in ids}) == 2  # the image and one signature


def test_unmatched_pushes_and_pushes_after_deletion_are_not_signed(ecr_client):
    _configure(ecr_client, _rule(PROFILE, "team/*"))
    ecr_client.create_repository(repositoryName="teamwork")
    push_image(ecr_client, "teamwork", tag="v1")
    assert _statuses(ecr_client, "teamwork", "v1") == []
    ecr_client.delete_signing_configuration()
    ecr_client.create_repository(repositoryName="team/app")
    push_image(ecr_client, "team/app", tag="v1")
    assert _statuses(ecr_client, "team/app", "v1") == []


def test_a_failing_profile_answers_failed_with_its_reason(ecr_client, ecr_mock):
    _configure(ecr_client, _rule(PROFILE), _rule(OTHER))
    ecr_mock.fail_signing(OTHER, "KmsKeyDisabled", "The signing key is disabled.")
    ecr_client.create_repository(repositoryName="app")
    image = push_image(ecr_client, "app", tag="v1")
    assert _statuses(ecr_client, "app", "v1") == [
        {"signingProfileArn": PROFILE, "status": "COMPLETE"},
        {
            "signingProfileArn": OTHER,
            "status": "FAILED",
            "failureCode": "KmsKeyDisabled",
            "failureReason": "The signing key is disabled.",
        },
    ]
    referrers = ecr_client.list_image_referrers(repositoryName="app", subjectId={"imageDigest": image.digest})
    assert len(referrers["referrers"]) == 1


def test_signing_status_errors(ecr_client):
    ecr_client.create_repository(repositoryName="app")
    with pytest.raises(ClientError) as info:
        ecr_client.describe_image_signing_status(repositoryName="app", imageId={"imageTag": "v1"})
    assert _error(info) == (
        "ImageNotFoundException",
        "The image with imageId {imageDigest:'null', imageTag:'v1'} does not exist within the repository with "
        f"name 'app' in the registry with id '{ACCOUNT}'",
    )
    with pytest.raises(ClientError) as info:
        ecr_client.describe_image_signing_status(repositoryName="missing", imageId={"imageTag": "v1"})
    assert _error(info)[0] == "RepositoryNotFoundException"


def test_snapshots_keep_configuration_and_statuses(ecr_client, ecr_mock):
    _configure(ecr_client, _rule(PROFILE))
    ecr_client.create_repository(repositoryName="app")
    push_image(ecr_client, "app", tag="v1")
    snapshot = ecr_mock.snapshot()
    ecr_client.delete_signing_configuration()
    ecr_client.delete_repository(repositoryName="app", force=True)
    ecr_mock.restore(snapshot)
    assert ecr_client.get_signing_configuration()["signingConfiguration"] == {"rules": [_rule(PROFILE)]}
    assert _statuses(ecr_client, "app", "v1")[0]["status"] == "COMPLETE"
