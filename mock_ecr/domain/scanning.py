"""Image scans: one record per image, its status, and the findings it reports.

**Scans complete deterministically.** A basic scan (StartImageScan, or a push that scans on
push) is ``IN_PROGRESS`` when it starts, and the StartImageScan answer says so. The first
read of its status afterwards (DescribeImageScanFindings or DescribeImages) completes it:
that read and every later one answer ``COMPLETE`` with the findings, so botocore's
``image_scan_complete`` waiter succeeds on its first poll. No sleeps, no threads.
An enhanced scan (registry scan type ENHANCED) is ``ACTIVE`` from the start, as ECR answers
for images Amazon Inspector monitors.

Findings are empty (a clean image) unless a test configures them with
``MockECR.set_scan_findings``; ``MockECR.fail_scan`` makes a scan ``FAILED``.

Records are kept per digest in ``Repository.scans``; a record remembers the image object it
belongs to, so an image deleted and pushed again starts with no scan.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

#: at most one basic scan per image per 24 hours ("This limit includes if an image was scanned on initial push")
SCAN_INTERVAL = _dt.timedelta(hours=24)
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNDEFINED")

COMPLETE_DESCRIPTION = "The scan was completed successfully."
ACTIVE_DESCRIPTIONS = {
    "CONTINUOUS_SCAN": "Continuous scan is selected for image.",
    "SCAN_ON_PUSH": "Scan on push is selected for image.",
}


@dataclass
class ImageScan:
    """The scan state of one image."""

    #: the Image this record belongs to (a re-pushed digest is a new image)
    image: Any
    #: "BASIC" or "ENHANCED"
    kind: str = "BASIC"
    #: when the latest scan started; None while only findings were configured
    started_at: _dt.datetime | None = None
    status: str | None = None
    description: str | None = None
    completed_at: _dt.datetime | None = None
    #: ImageScanFinding dicts (basic shape) the scan reports
    findings: list[dict[str, Any]] = field(default_factory=list)
    #: findingSeverityCounts when set directly, else counted from ``findings``
    severity_counts: dict[str, int] | None = None
    #: a failure a test asked for: the scan answers FAILED with this description
    failure: str | None = None

    @property
    def exists(self) -> bool:
        return self.started_at is not None

    def counts(self) -> dict[str, int]:
        if self.severity_counts is not None:
            return {k: v for k, v in self.severity_counts.items() if v}
        counts: dict[str, int] = {}
        for finding in self.findings:
            severity = finding.get("severity", "UNDEFINED")
            counts[severity] = counts.get(severity, 0) + 1
        return counts


def scan_of(repository: Any, image: Any) -> ImageScan | None:
    """The scan record of ``image``, if it has one."""
    record: ImageScan | None = repository.scans.get(image.digest)
    if record is None or record.image is not image:
        return None
    return record


def record_for(repository: Any, image: Any) -> ImageScan:
    """The scan record of ``image``, created empty if needed."""
    record = scan_of(repository, image)
    if record is None:
        record = repository.scans[image.digest] = ImageScan(image)
    return record


def limit_reached(record: ImageScan | None, now: _dt.datetime) -> bool:
    return record is not None and record.started_at is not None and now - record.started_at < SCAN_INTERVAL


def start(
    repository: Any, image: Any, now: _dt.datetime, kind: str = "BASIC", frequency: str | None = None
) -> ImageScan:
    """Start a scan of ``image`` at ``now`` (the caller checked the limits)."""
    record = record_for(repository, image)
    record.kind = kind
    record.started_at = now
    record.completed_at = None
    if kind == "ENHANCED":
        record.status = "ACTIVE"
        record.description = ACTIVE_DESCRIPTIONS.get(frequency or "", ACTIVE_DESCRIPTIONS["SCAN_ON_PUSH"])
        record.completed_at = now
    else:
        record.status = "IN_PROGRESS"
        record.description = None
    if record.failure is not None:
        _fail(record, now)
    return record


def _fail(record: ImageScan, now: _dt.datetime) -> None:
    record.status = "FAILED"
    record.description = record.failure
    record.completed_at = None


def observe(record: ImageScan, now: _dt.datetime) -> ImageScan:
    """A read of the scan's status: an IN_PROGRESS basic scan completes now."""
    if record.status == "IN_PROGRESS":
        record.status = "COMPLETE"
        record.description = COMPLETE_DESCRIPTION
        record.completed_at = now
    return record


def configure_findings(
    record: ImageScan, findings: list[dict[str, Any]] | None, severity_counts: dict[str, int] | None, now: _dt.datetime
) -> None:
    """Tooling: the findings the image's scans report (a scan already under way completes)."""
    if findings is None:
        findings = _synthetic_findings(severity_counts or {})
        severity_counts = None
    record.findings = [dict(f) for f in findings]
    record.severity_counts = dict(severity_counts) if severity_counts is not None else None
    record.failure = None
    if record.status in ("IN_PROGRESS", "FAILED"):
        record.status = "IN_PROGRESS"
        observe(record, now)


def configure_failure(record: ImageScan, description: str, now: _dt.datetime) -> None:
    """Tooling: the image's scan fails (a scan is recorded now if none exists)."""
    record.failure = description
    if record.started_at is None:
        record.started_at = now
        record.kind = "BASIC"
    _fail(record, now)


def _synthetic_findings(severity_counts: dict[str, int]) -> list[dict[str, Any]]:
    """Findings matching ``severity_counts``, for tests that only care about counts."""
    findings = []
    number = 0
    for severity in SEVERITIES:
        for _ in range(severity_counts.get(severity, 0)):
            number += 1
            name = f"CVE-2099-{number:05d}"
            findings.append(
                {
                    "name": name,
                    "description": f"A {severity.lower()} vulnerability reported by mock_ecr.",
                    "uri": f"https://cve.mitre.org/cgi-bin/cvename.cgi?name={name}",
                    "severity": severity,
                    "attributes": [
                        {"key": "package_name", "value": f"package-{number}"},
                        {"key": "package_version", "value": "1.0.0"},
                    ],
                }
            )
    unknown = set(severity_counts) - set(SEVERITIES)
    if unknown:
        raise ValueError(f"unknown severities {sorted(unknown)}; known: {', '.join(SEVERITIES)}")
    return findings


def enhanced_finding(finding: dict[str, Any], repository: Any, image: Any, observed_at: _dt.datetime) -> dict[str, Any]:
    """A basic-shaped finding as Amazon Inspector reports it (EnhancedImageScanFinding)."""
    if "findingArn" in finding or "packageVulnerabilityDetails" in finding:
        return dict(finding)  # given in the enhanced shape already
    attributes = {a.get("key"): a.get("value") for a in finding.get("attributes", [])}
    name = finding.get("name", "UNKNOWN")
    region, account = repository.region, repository.registry_id
    digest_hex = image.digest.split(":", 1)[-1]
    package = {"name": attributes.get("package_name", "unknown"), "version": attributes.get("package_version", "0")}
    return {
        "awsAccountId": account,
        "description": finding.get("description", name),
        "findingArn": f"arn:aws:inspector2:{region}:{account}:finding/{_finding_id(digest_hex, name)}",
        "firstObservedAt": observed_at,
        "lastObservedAt": observed_at,
        "packageVulnerabilityDetails": {
            "source": "NVD",
            "sourceUrl": finding.get("uri", f"https://nvd.nist.gov/vuln/detail/{name}"),
            "vulnerabilityId": name,
            "vulnerablePackages": [package],
        },
        "remediation": {"recommendation": {"text": "None Provided"}},
        "resources": [
            {
                "details": {
                    "awsEcrContainerImage": {
                        "imageHash": image.digest,
                        "imageTags": list(image.tags),
                        "pushedAt": image.pushed_at,
                        "registry": account,
                        "repositoryName": repository.name,
                    }
                },
                "id": f"arn:aws:ecr:{region}:{account}:repository/{repository.name}/{image.digest}",
                "type": "AWS_ECR_CONTAINER_IMAGE",
            }
        ],
        "severity": finding.get("severity", "UNTRIAGED"),
        "status": "ACTIVE",
        "title": f"{name} - {package['name']}",
        "type": "PACKAGE_VULNERABILITY",
        "updatedAt": observed_at,
    }


def _finding_id(digest_hex: str, name: str) -> str:
    return hashlib.sha256(f"{digest_hex}/{name}".encode()).hexdigest()[:32]


# -- what ECR can scan ---------------------------------------------------------------------
#: config media types of container images (anything else is an artifact such as a Helm chart)
IMAGE_CONFIG_TYPES = frozenset(
    {"application/vnd.docker.container.image.v1+json", "application/vnd.oci.image.config.v1+json"}
)
_IMAGE_MANIFEST_TYPES = frozenset(
    {"application/vnd.docker.distribution.manifest.v2+json", "application/vnd.oci.image.manifest.v1+json"}
)


def scannable(manifest: Any) -> bool:
    """Whether ECR scans an image with this manifest: an image manifest (not a manifest list
    or index) whose config is a container image config."""
    if manifest.media_type not in _IMAGE_MANIFEST_TYPES or manifest.config is None:
        return False
    return manifest.config.media_type is None or manifest.config.media_type in IMAGE_CONFIG_TYPES


# -- hooks the image actions call ---------------------------------------------------------------
def on_push(store: Any, repository: Any, image: Any, now: _dt.datetime) -> None:
    """Scan a newly pushed image if the repository or the registry says to scan on push."""
    from .registry_settings import effective_scanning, scans_on_push

    kind = scans_on_push(store.settings, repository.name, repository.scan_on_push)
    if kind is None or not scannable(image.manifest) or limit_reached(scan_of(repository, image), now):
        return
    frequency = effective_scanning(store.settings, repository.name)[0] if kind == "ENHANCED" else None
    start(repository, image, now, kind, frequency)


def detail_fields(repository: Any, image: Any, now: _dt.datetime) -> dict[str, Any]:
    """``imageScanStatus`` and ``imageScanFindingsSummary`` of DescribeImages' ImageDetail."""
    record = scan_of(repository, image)
    if record is None or not record.exists:
        return {}
    observe(record, now)
    out: dict[str, Any] = {"imageScanStatus": status_shape(record)}
    if record.status in ("COMPLETE", "ACTIVE"):
        out["imageScanFindingsSummary"] = {
            "imageScanCompletedAt": record.completed_at,
            "vulnerabilitySourceUpdatedAt": record.completed_at,
            "findingSeverityCounts": record.counts(),
        }
    return out


def status_shape(record: ImageScan) -> dict[str, str]:
    shape = {"status": record.status or "IN_PROGRESS"}
    if record.description:
        shape["description"] = record.description
    return shape
