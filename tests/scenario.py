"""One call of every implemented operation, for wire-shape conformance checks."""

from __future__ import annotations

import json

from .ecr_helpers import digest_of, push_image

POLICY = json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:*"}]})
LIFECYCLE_POLICY = json.dumps(
    {
        "rules": [
            {
                "rulePriority": 1,
                "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1},
                "action": {"type": "expire"},
            }
        ]
    }
)


def run_every_operation(client, mock=None) -> None:
    """``mock`` (the active MockECR, when the caller has it) seeds the upstream the pull
    through cache part imports from; without it that pull answers a failure instead."""
    repo = client.create_repository(repositoryName="wire", tags=[{"Key": "k", "Value": "v"}])["repository"]
    client.describe_repositories()
    client.set_repository_policy(repositoryName="wire", policyText=POLICY)
    client.get_repository_policy(repositoryName="wire")
    client.delete_repository_policy(repositoryName="wire")
    client.get_authorization_token()
    client.tag_resource(resourceArn=repo["repositoryArn"], tags=[{"Key": "a", "Value": "b"}])
    client.list_tags_for_resource(resourceArn=repo["repositoryArn"])
    client.untag_resource(resourceArn=repo["repositoryArn"], tagKeys=["a"])
    client.put_lifecycle_policy(repositoryName="wire", lifecyclePolicyText=LIFECYCLE_POLICY)
    client.get_lifecycle_policy(repositoryName="wire")
    client.start_lifecycle_policy_preview(repositoryName="wire")
    client.get_lifecycle_policy_preview(repositoryName="wire")
    client.delete_lifecycle_policy(repositoryName="wire")
    # BatchCheckLayerAvailability, InitiateLayerUpload, UploadLayerPart, CompleteLayerUpload, PutImage
    pushed = push_image(client, "wire", tag="v1")
    client.get_download_url_for_layer(repositoryName="wire", layerDigest=digest_of(pushed.layers[0]))
    client.batch_get_image(repositoryName="wire", imageIds=[{"imageTag": "v1"}])
    client.list_images(repositoryName="wire")
    client.describe_images(repositoryName="wire")
    # scanning, repository and registry settings, repository creation templates
    client.put_image_tag_mutability(repositoryName="wire", imageTagMutability="IMMUTABLE")
    client.put_image_scanning_configuration(repositoryName="wire", imageScanningConfiguration={"scanOnPush": True})
    client.start_image_scan(repositoryName="wire", imageId={"imageTag": "v1"})
    client.describe_image_scan_findings(repositoryName="wire", imageId={"imageTag": "v1"})
    client.describe_images(repositoryName="wire")  # with imageScanStatus and imageScanFindingsSummary
    rules = [{"scanFrequency": "SCAN_ON_PUSH", "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}]}]
    client.put_registry_scanning_configuration(scanType="BASIC", rules=rules)
    client.get_registry_scanning_configuration()
    client.batch_get_repository_scanning_configuration(repositoryNames=["wire", "missing"])
    client.put_registry_policy(policyText=POLICY)
    client.get_registry_policy()
    client.delete_registry_policy()
    client.describe_registry()
    # replication: the configuration, a push it copies, and backfills where the model has them
    account = repo["registryId"]
    destinations = [{"region": "us-west-2", "registryId": account}, {"region": "eu-west-1", "registryId": account}]
    client.put_replication_configuration(
        replicationConfiguration={
            "rules": [
                {"destinations": destinations, "repositoryFilters": [{"filter": "wi", "filterType": "PREFIX_MATCH"}]}
            ]
        }
    )
    client.describe_registry()  # with the configuration
    push_image(client, "wire", tag="replicated")
    client.describe_image_replication_status(repositoryName="wire", imageId={"imageTag": "replicated"})
    if "StartReplicationBackfill" in client.meta.service_model.operation_names:
        done = client.start_replication_backfill(destination=destinations[0])["replicationBackfillId"]
        stopped = client.start_replication_backfill(destination=destinations[1])["replicationBackfillId"]
        client.stop_replication_backfill(replicationBackfillId=stopped)
        client.list_replication_backfills()
        client.describe_replication_backfill_results(replicationBackfillId=done)  # with results
    client.put_account_setting(name="BLOB_MOUNTING", value="ENABLED")
    client.get_account_setting(name="BLOB_MOUNTING")
    client.create_repository_creation_template(
        prefix="wire",
        appliedFor=["PULL_THROUGH_CACHE"],
        description="d",
        repositoryPolicy=POLICY,
        lifecyclePolicy=LIFECYCLE_POLICY,
        resourceTags=[{"Key": "k", "Value": "v"}],
        imageTagMutability="IMMUTABLE_WITH_EXCLUSION",
        imageTagMutabilityExclusionFilters=[{"filterType": "WILDCARD", "filter": "dev*"}],
        encryptionConfiguration={"encryptionType": "KMS"},
    )
    client.describe_repository_creation_templates()
    client.update_repository_creation_template(prefix="wire", description="e")
    client.delete_repository_creation_template(prefix="wire")
    # pull through cache: a rule, an import on BatchGetImage and one on GetDownloadUrlForLayer
    secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-pullthroughcache/hub"
    client.create_pull_through_cache_rule(
        ecrRepositoryPrefix="hub", upstreamRegistryUrl="registry-1.docker.io", credentialArn=secret
    )
    client.describe_pull_through_cache_rules()
    client.update_pull_through_cache_rule(ecrRepositoryPrefix="hub", credentialArn=secret + "-2")
    client.validate_pull_through_cache_rule(ecrRepositoryPrefix="hub")
    if mock is not None:
        mock.seed_upstream("docker-hub", "library/wire", "1")
    else:
        client.create_repository(repositoryName="hub/library/wire")  # so the missing image is a failure
    client.batch_get_image(repositoryName="hub/library/wire", imageIds=[{"imageTag": "1"}, {"imageTag": "2"}])
    client.delete_pull_through_cache_rule(ecrRepositoryPrefix="hub")
    client.create_pull_through_cache_rule(
        ecrRepositoryPrefix="mirror", upstreamRegistryUrl="123456789012.dkr.ecr.us-east-1.amazonaws.com"
    )
    client.describe_pull_through_cache_rules(ecrRepositoryPrefixes=["mirror"])
    client.get_download_url_for_layer(repositoryName="mirror/wire", layerDigest=digest_of(pushed.layers[0]))
    client.delete_pull_through_cache_rule(ecrRepositoryPrefix="mirror")
    # signing, referrers, archive and restore, pull-time update exclusions
    profile = "arn:aws:signer:us-east-1:123456789012:/signing-profiles/wire_profile"
    wildcard = [{"filter": "wire*", "filterType": "WILDCARD_MATCH"}]
    client.put_signing_configuration(
        signingConfiguration={"rules": [{"signingProfileArn": profile, "repositoryFilters": wildcard}]}
    )
    client.get_signing_configuration()
    signed = push_image(client, "wire", tag="signed")
    client.describe_image_signing_status(repositoryName="wire", imageId={"imageTag": "signed"})
    client.list_image_referrers(repositoryName="wire", subjectId={"imageDigest": signed.digest})
    client.list_image_referrers(
        repositoryName="wire", subjectId={"imageDigest": signed.digest}, filter={"artifactStatus": "ANY"}, maxResults=1
    )
    client.delete_signing_configuration()
    client.update_image_storage_class(
        repositoryName="wire", imageId={"imageTag": "signed"}, targetStorageClass="ARCHIVE"
    )
    filters = client.meta.service_model.shape_for("DescribeImagesFilter").members
    if "imageStatus" in filters:  # older models have no status filter
        client.describe_images(repositoryName="wire", filter={"imageStatus": "ARCHIVED"})  # lastArchivedAt
    client.update_image_storage_class(
        repositoryName="wire", imageId={"imageTag": "signed"}, targetStorageClass="STANDARD"
    )
    client.register_pull_time_update_exclusion(principalArn="arn:aws:iam::123456789012:role/wire")
    client.list_pull_time_update_exclusions()
    client.deregister_pull_time_update_exclusion(principalArn="arn:aws:iam::123456789012:role/wire")
    client.batch_delete_image(repositoryName="wire", imageIds=[{"imageTag": "v1"}])
    client.delete_repository(repositoryName="wire", force=True)
