"""Blob pushes and pulls: uploads (chunked, monolithic, mounted), HEAD/GET with Range."""

from __future__ import annotations

import os

import pytest

from .conftest import ACCOUNT, OCI, digest_of, errors

MIB = 1024 * 1024


@pytest.fixture
def app(reg):
    reg.ecr.create_repository(repositoryName="team/app")
    return reg


def test_post_starts_an_upload(app):
    answer = app.request("POST", "/v2/team/app/blobs/uploads/")
    assert answer.status_code == 202
    upload = answer.headers["Docker-Upload-UUID"]
    assert answer.headers["Location"] == f"/v2/team/app/blobs/uploads/{upload}"
    assert answer.headers["Range"] == "0-0"
    assert app.mock.calls.last("InitiateLayerUpload").params == {"registryId": ACCOUNT, "repositoryName": "team/app"}


def test_chunks_in_order_then_put_with_the_digest(app):
    first, second = os.urandom(5 * MIB), os.urandom(1000)
    location = app.request("POST", "/v2/team/app/blobs/uploads/").headers["Location"]
    one = app.request("PATCH", location, data=first, headers={"Content-Range": f"0-{len(first) - 1}"})
    assert (one.status_code, one.headers["Range"]) == (202, f"0-{len(first) - 1}")
    end = len(first) + len(second) - 1
    two = app.request("PATCH", one.headers["Location"], data=second, headers={"Content-Range": f"{len(first)}-{end}"})
    assert (two.status_code, two.headers["Range"]) == (202, f"0-{end}")
    status = app.request("GET", two.headers["Location"])
    assert (status.status_code, status.headers["Range"]) == (204, f"0-{end}")
    digest = digest_of(first + second)
    done = app.request("PUT", two.headers["Location"] + f"?digest={digest}")
    assert done.status_code == 201
    assert done.headers["Docker-Content-Digest"] == digest
    assert done.headers["Location"] == f"/v2/team/app/blobs/{digest}"
    assert app.get(f"/v2/team/app/blobs/{digest}").content == first + second
    assert [c.operation for c in app.mock.calls][-4:-1] == ["UploadLayerPart", "UploadLayerPart", "CompleteLayerUpload"]


def test_a_chunk_out_of_order_gets_416_and_changes_nothing(app):
    location = app.request("POST", "/v2/team/app/blobs/uploads/").headers["Location"]
    app.request("PATCH", location, data=b"abc", headers={"Content-Range": "0-2"})
    answer = app.request("PATCH", location, data=b"def", headers={"Content-Range": "5-7"})
    assert answer.status_code == 416
    assert answer.headers["Range"] == "0-2"
    assert errors(answer) == [("BLOB_UPLOAD_INVALID", "First byte of the layer part is 5 instead of 3")]
    assert app.request("GET", location).headers["Range"] == "0-2"


def test_a_chunk_shorter_than_its_range_is_undone(app):
    location = app.request("POST", "/v2/team/app/blobs/uploads/").headers["Location"]
    answer = app.request("PATCH", location, data=iter([b"abc"]), headers={"Content-Range": "0-9"})
    assert answer.status_code == 400
    assert errors(answer)[0][0] == "SIZE_INVALID"
    assert app.request("GET", location).headers["Range"] == "0-0"
    app.request("PATCH", location, data=b"abc")
    assert app.request("PUT", location + f"?digest={digest_of(b'abc')}").status_code == 201


def test_one_patch_of_any_size_is_one_part_streamed_in(app):
    """docker sends a whole layer in one PATCH, as a stream: it is one part, however big."""
    chunks = [os.urandom(MIB) for _ in range(24)]
    location = app.request("POST", "/v2/team/app/blobs/uploads/").headers["Location"]
    patched = app.request("PATCH", location, data=iter(chunks))
    assert patched.headers["Range"] == f"0-{24 * MIB - 1}"
    digest = digest_of(b"".join(chunks))
    assert app.request("PUT", location + f"?digest={digest}").status_code == 201
    layers = app.ecr.batch_check_layer_availability(repositoryName="team/app", layerDigests=[digest])["layers"]
    assert layers[0]["layerSize"] == 24 * MIB


def test_parts_below_ecrs_minimum_are_refused_at_the_end(app):
    location = app.request("POST", "/v2/team/app/blobs/uploads/").headers["Location"]
    app.request("PATCH", location, data=b"small", headers={"Content-Range": "0-4"})
    app.request("PATCH", location, data=b"again", headers={"Content-Range": "5-9"})
    answer = app.request("PUT", location + f"?digest={digest_of(b'smallagain')}")
    assert answer.status_code == 400
    assert errors(answer) == [("BLOB_UPLOAD_INVALID", "All layer parts except the last part should be at least 5MB")]


def test_a_wrong_digest_is_digest_invalid_and_the_upload_stays(app):
    location = app.request("POST", "/v2/team/app/blobs/uploads/").headers["Location"]
    app.request("PATCH", location, data=b"content")
    wrong = app.request("PUT", location + f"?digest={digest_of(b'other')}")
    assert wrong.status_code == 400
    assert errors(wrong) == [("DIGEST_INVALID", "None of the provided layer digests match the calculated layer digest")]
    assert app.mock.calls.last("CompleteLayerUpload").error_code == "InvalidLayerException"
    assert app.request("PUT", location + f"?digest={digest_of(b'content')}").status_code == 201


def test_the_final_chunk_may_come_with_the_put(app):
    location = app.request("POST", "/v2/team/app/blobs/uploads/").headers["Location"]
    done = app.request("PUT", location + f"?digest={digest_of(b'whole')}", data=b"whole")
    assert done.status_code == 201
    assert app.get(f"/v2/team/app/blobs/{digest_of(b'whole')}").content == b"whole"


def test_put_without_a_digest_or_with_a_malformed_one(app):
    location = app.request("POST", "/v2/team/app/blobs/uploads/").headers["Location"]
    assert errors(app.request("PUT", location))[0][0] == "DIGEST_INVALID"
    assert app.request("PUT", location + "?digest=sha256:xyz").status_code == 400


def test_monolithic_post(app):
    data = b"monolithic blob"
    answer = app.request("POST", f"/v2/team/app/blobs/uploads/?digest={digest_of(data)}", data=data)
    assert answer.status_code == 201
    assert answer.headers["Docker-Content-Digest"] == digest_of(data)
    assert app.get(f"/v2/team/app/blobs/{digest_of(data)}").content == data
    wrong = app.request("POST", f"/v2/team/app/blobs/uploads/?digest={digest_of(b'x')}", data=b"y")
    assert errors(wrong)[0][0] == "DIGEST_INVALID"
    assert not app.mock.backend.store(ACCOUNT, "us-east-1").uploads  # nothing of the refused push stays


def test_cancel_discards_the_upload(app):
    location = app.request("POST", "/v2/team/app/blobs/uploads/").headers["Location"]
    app.request("PATCH", location, data=b"bytes")
    assert app.request("DELETE", location).status_code == 204
    for method in ("GET", "PATCH", "DELETE"):
        answer = app.request(method, location, data=b"x" if method == "PATCH" else None)
        assert answer.status_code == 404
        assert errors(answer)[0][0] == "BLOB_UPLOAD_UNKNOWN"
    upload = location.rsplit("/", 1)[1]
    assert errors(app.request("GET", location))[0][1] == (
        f"The upload with id '{upload}' does not exist in the repository with name 'team/app' "
        f"in registry with id '{ACCOUNT}'"
    )


def test_an_upload_of_one_repository_is_unknown_in_another(app):
    app.ecr.create_repository(repositoryName="other")
    location = app.request("POST", "/v2/team/app/blobs/uploads/").headers["Location"]
    elsewhere = location.replace("/team/app/", "/other/")
    assert errors(app.request("GET", elsewhere))[0][0] == "BLOB_UPLOAD_UNKNOWN"


def test_uploads_to_a_missing_repository_are_name_unknown(app):
    answer = app.request("POST", "/v2/missing/blobs/uploads/")
    assert answer.status_code == 404
    assert errors(answer) == [
        ("NAME_UNKNOWN", f"The repository with name 'missing' does not exist in the registry with id '{ACCOUNT}'")
    ]


def test_blob_head_and_get(app):
    digest = app.push_blob("team/app", b"0123456789")
    head = app.request("HEAD", f"/v2/team/app/blobs/{digest}")
    assert head.status_code == 200
    assert (head.headers["Content-Length"], head.headers["Docker-Content-Digest"]) == ("10", digest)
    assert head.content == b""
    get = app.get(f"/v2/team/app/blobs/{digest}")
    assert (get.status_code, get.content) == (200, b"0123456789")
    assert app.mock.calls.last("BatchCheckLayerAvailability").params["layerDigests"] == [digest]
    assert app.mock.calls.last("GetDownloadUrlForLayer").params["layerDigest"] == digest


@pytest.mark.parametrize(
    ("header", "status", "content", "content_range"),
    [
        ("bytes=2-5", 206, b"2345", "bytes 2-5/10"),
        ("bytes=7-", 206, b"789", "bytes 7-9/10"),
        ("bytes=-3", 206, b"789", "bytes 7-9/10"),
        ("bytes=5-100", 206, b"56789", "bytes 5-9/10"),
        ("bytes=0-1,4-5", 200, b"0123456789", None),
    ],
)
def test_blob_ranges(app, header, status, content, content_range):
    digest = app.push_blob("team/app", b"0123456789")
    answer = app.get(f"/v2/team/app/blobs/{digest}", headers={"Range": header})
    assert (answer.status_code, answer.content) == (status, content)
    assert answer.headers.get("Content-Range") == content_range


def test_a_range_past_the_end_is_416(app):
    digest = app.push_blob("team/app", b"0123456789")
    answer = app.get(f"/v2/team/app/blobs/{digest}", headers={"Range": "bytes=10-"})
    assert answer.status_code == 416
    assert answer.headers["Content-Range"] == "bytes */10"


def test_unknown_and_malformed_blobs(app):
    digest = digest_of(b"never pushed")
    answer = app.get(f"/v2/team/app/blobs/{digest}")
    assert answer.status_code == 404
    assert errors(answer) == [
        (
            "BLOB_UNKNOWN",
            f"The layer with digest '{digest}' does not exist within the repository with name 'team/app' "
            f"in the registry with id '{ACCOUNT}'",
        )
    ]
    assert app.request("HEAD", f"/v2/team/app/blobs/{digest}").status_code == 404
    assert app.get("/v2/team/app/blobs/sha256:nothex").status_code == 400
    assert errors(app.get(f"/v2/missing/blobs/{digest}"))[0][0] == "NAME_UNKNOWN"
    assert app.request("DELETE", f"/v2/team/app/blobs/{digest}").status_code == 405


def _mount(app, digest, source="team/app"):
    return app.request("POST", f"/v2/mounted/blobs/uploads/?mount={digest}&from={source}")


def test_mounts_need_blob_mounting_and_an_image_using_the_layer(app):
    app.ecr.create_repository(repositoryName="mounted")
    digest, _ = app.push_image("team/app", "v1", [b"shared layer"], OCI)
    loose = app.push_blob("team/app", b"uploaded only")
    # BLOB_MOUNTING is DISABLED by default: ECR answers a fresh upload instead
    answer = _mount(app, digest)
    assert answer.status_code == 202
    assert answer.headers["Location"].startswith("/v2/mounted/blobs/uploads/")
    app.ecr.put_account_setting(name="BLOB_MOUNTING", value="ENABLED")
    mounted = _mount(app, digest_of(b"shared layer"))
    assert mounted.status_code == 201
    assert mounted.headers["Docker-Content-Digest"] == digest_of(b"shared layer")
    assert app.get(f"/v2/mounted/blobs/{digest_of(b'shared layer')}").content == b"shared layer"
    assert _mount(app, loose).status_code == 202  # not referenced by an image there
    assert _mount(app, digest_of(b"shared layer"), "missing").status_code == 201  # already mounted here
    assert _mount(app, digest_of(b"nowhere")).status_code == 202


def test_mounts_need_the_same_encryption(app):
    app.ecr.create_repository(repositoryName="mounted", encryptionConfiguration={"encryptionType": "KMS"})
    app.ecr.put_account_setting(name="BLOB_MOUNTING", value="ENABLED")
    app.push_image("team/app", "v1", [b"shared layer"], OCI)
    assert _mount(app, digest_of(b"shared layer")).status_code == 202


def test_a_patch_streams_outside_the_registry_lock(m, ecr):
    """While a PATCH body streams in, other requests of the registry are answered; one that
    cancels the upload meanwhile makes the PATCH answer BLOB_UPLOAD_UNKNOWN."""
    from .conftest import HOST, Registry

    ecr.create_repository(repositoryName="team/app")
    app = Registry(m, f"https://{HOST}", ecr, "in-process")
    location = app.request("POST", "/v2/team/app/blobs/uploads/").headers["Location"]
    seen = []

    def body():
        yield b"first"
        seen.append(app.get("/v2/team/app/tags/list").status_code)
        seen.append(app.request("DELETE", location).status_code)
        yield b"second"

    answer = app.request("PATCH", location, data=body())
    assert seen == [200, 204]
    assert (answer.status_code, errors(answer)[0][0]) == (404, "BLOB_UPLOAD_UNKNOWN")


def test_a_patch_that_breaks_off_is_undone(m, ecr):
    from .conftest import HOST, Registry

    ecr.create_repository(repositoryName="team/app")
    app = Registry(m, f"https://{HOST}", ecr, "in-process")
    location = app.request("POST", "/v2/team/app/blobs/uploads/").headers["Location"]
    app.request("PATCH", location, data=b"kept")

    def body():
        yield b"lost"
        raise ConnectionResetError("the client went away")

    answer = app.request("PATCH", location, data=body())
    assert answer.status_code == 400
    assert errors(answer)[0][0] == "BLOB_UPLOAD_INVALID"
    assert app.request("GET", location).headers["Range"] == "0-3"
    assert app.request("PUT", location + f"?digest={digest_of(b'kept')}").status_code == 201
