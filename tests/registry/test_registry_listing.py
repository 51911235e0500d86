"""tags/list with n, last and Link; OCI 1.1 referrers with artifactType filtering."""

from __future__ import annotations

import json

import pytest

from .conftest import ACCOUNT, OCI, OCI_INDEX, digest_of, errors


@pytest.fixture
def app(reg):
    reg.ecr.create_repository(repositoryName="app")
    return reg


def _tag_everything(app, tags):
    digest, text = app.push_image("app", tags[0], [b"layer"], OCI)
    for tag in tags[1:]:
        assert app.push_manifest("app", tag, text, OCI).status_code == 201
    return digest, text


def test_tags_list_in_lexical_order(app):
    _tag_everything(app, ["v2", "latest", "v10", "alpha"])
    answer = app.get("/v2/app/tags/list")
    assert answer.status_code == 200
    assert answer.json() == {"name": "app", "tags": ["alpha", "latest", "v10", "v2"]}
    assert "Link" not in answer.headers
    assert app.mock.calls.last("ListImages").params == {
        "registryId": ACCOUNT,
        "repositoryName": "app",
        "filter": {"tagStatus": "TAGGED"},
    }


def test_tags_pages_follow_the_link(app):
    _tag_everything(app, ["a", "b", "c", "d", "e"])
    pages, path = [], "/v2/app/tags/list?n=2"
    while path:
        answer = app.get(path)
        pages.append(answer.json()["tags"])
        link = answer.headers.get("Link")
        path = link[1 : link.index(">")] if link else None
        if link:
            assert link.endswith('; rel="next"')
    assert pages == [["a", "b"], ["c", "d"], ["e"]]
    assert app.get("/v2/app/tags/list?n=2&last=b").json()["tags"] == ["c", "d"]
    assert app.get("/v2/app/tags/list?last=d").json()["tags"] == ["e"]
    empty = app.get("/v2/app/tags/list?n=0")
    assert empty.json()["tags"] == [] and "Link" not in empty.headers
    assert errors(app.get("/v2/app/tags/list?n=many"))[0][0] == "PAGINATION_NUMBER_INVALID"
    assert errors(app.get("/v2/missing/tags/list"))[0][0] == "NAME_UNKNOWN"


def _referrer(app, subject_digest, subject_size, artifact_type=None, config_type=None, **notes):
    config = json.dumps({"kind": artifact_type or config_type}).encode()
    app.push_blob("app", config)
    document = {
        "schemaVersion": 2,
        "mediaType": OCI,
        "config": {
            "mediaType": config_type or "application/vnd.oci.empty.v1+json",
            "digest": digest_of(config),
            "size": len(config),
        },
        "layers": [],
        "subject": {"mediaType": OCI, "digest": subject_digest, "size": subject_size},
    }
    if artifact_type:
        document["artifactType"] = artifact_type
    if notes:
        document["annotations"] = notes
    text = json.dumps(document).encode()
    answer = app.push_manifest("app", digest_of(text), text, OCI)
    assert answer.status_code == 201, answer.text
    return digest_of(text), text


def test_referrers_index_and_artifact_type_filter(app):
    subject, subject_text = app.push_image("app", "v1", [b"layer"], OCI)
    sbom, sbom_text = _referrer(app, subject, len(subject_text), "application/spdx+json", created="2025")
    sig, sig_text = _referrer(app, subject, len(subject_text), config_type="application/vnd.dev.cosign.v1")
    answer = app.get(f"/v2/app/referrers/{subject}")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == OCI_INDEX
    assert "OCI-Filters-Applied" not in answer.headers
    assert answer.json() == {
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [
            {
                "mediaType": OCI,
                "digest": sbom,
                "size": len(sbom_text),
                "artifactType": "application/spdx+json",
                "annotations": {"created": "2025"},
            },
            {"mediaType": OCI, "digest": sig, "size": len(sig_text), "artifactType": "application/vnd.dev.cosign.v1"},
        ],
    }
    filtered = app.get(f"/v2/app/referrers/{subject}", params={"artifactType": "application/spdx+json"})
    assert filtered.headers["OCI-Filters-Applied"] == "artifactType"
    assert [d["digest"] for d in filtered.json()["manifests"]] == [sbom]
    assert app.mock.calls.last("ListImageReferrers").params["filter"] == {"artifactTypes": ["application/spdx+json"]}
    # a subject without referrers (even one never pushed) answers an empty index, not 404
    nothing = app.get(f"/v2/app/referrers/{digest_of(b'nothing')}")
    assert (nothing.status_code, nothing.json()["manifests"]) == (200, [])
    assert app.get("/v2/app/referrers/not-a-digest").status_code == 400
    assert errors(app.get(f"/v2/missing/referrers/{subject}"))[0][0] == "NAME_UNKNOWN"
