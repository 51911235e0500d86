"""OCI image layouts written on disk by hand (no network): what skopeo copies from and to.

``write_layout`` lays out ``oci-layout``, ``index.json`` and ``blobs/sha256/...`` as the OCI
image-layout spec has them, for a multi-arch image: an image index naming one image
manifest per platform, each with its config and one gzipped tar layer holding a file.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
REF_NAME = "org.opencontainers.image.ref.name"
PLATFORMS = (("linux", "amd64", None), ("linux", "arm64", "v8"))


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def canonical(document: dict) -> bytes:
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def tar_gz(files: dict[str, bytes]) -> tuple[bytes, bytes]:
    """(gzipped tar, the tar itself) of ``files``, reproducible (fixed times and owners)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 1_700_000_000, 0o644
            tar.addfile(info, io.BytesIO(data))
    plain = raw.getvalue()
    return gzip.compress(plain, mtime=0), plain


@dataclass
class Layout:
    """What was written: the index's digest and bytes, and every blob by digest."""

    path: Path
    tag: str
    index_digest: str = ""
    index: bytes = b""
    manifests: dict[str, str] = field(default_factory=dict)  # platform ("linux/amd64") -> digest
    blobs: dict[str, bytes] = field(default_factory=dict)

    @property
    def reference(self) -> str:
        return f"oci:{self.path}:{self.tag}"


def write_layout(path: Path, tag: str = "v1", layer_size: int = 0) -> Layout:
    """A multi-arch image at ``path`` tagged ``tag``; ``layer_size`` pads each layer's file."""
    layout = Layout(path, tag)
    entries = []
    for os_name, arch, variant in PLATFORMS:
        platform = f"{os_name}/{arch}" + (f"/{variant}" if variant else "")
        content = f"hello from {platform}\n".encode() + bytes(layer_size)
        layer, plain = tar_gz({"hello.txt": content})
        platform_doc = {"architecture": arch, "os": os_name, **({"variant": variant} if variant else {})}
        config = canonical(
            {
                **platform_doc,
                "created": "2024-01-01T00:00:00Z",
                "config": {"Cmd": ["/hello"]},
                "rootfs": {"type": "layers", "diff_ids": [digest_of(plain)]},
            }
        )
        manifest = canonical(
            {
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": {"mediaType": OCI_CONFIG, "digest": digest_of(config), "size": len(config)},
                "layers": [{"mediaType": OCI_LAYER, "digest": digest_of(layer), "size": len(layer)}],
            }
        )
        for blob in (layer, config, manifest):
            layout.blobs[digest_of(blob)] = blob
        layout.manifests[platform] = digest_of(manifest)
        entries.append(
            {"mediaType": OCI_MANIFEST, "digest": digest_of(manifest), "size": len(manifest), "platform": platform_doc}
        )
    index = canonical({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries})
    layout.index, layout.index_digest = index, digest_of(index)
    layout.blobs[layout.index_digest] = index

    blobs = path / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)
    for digest, data in layout.blobs.items():
        (blobs / digest.split(":", 1)[1]).write_bytes(data)
    (path / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
    top = {
        "schemaVersion": 2,
        "manifests": [
            {"mediaType": OCI_INDEX, "digest": layout.index_digest, "size": len(index), "annotations": {REF_NAME: tag}}
        ],
    }
    (path / "index.json").write_text(json.dumps(top))
    return layout


def read_layout(path: Path, tag: str) -> tuple[str, dict[str, bytes]]:
    """(digest of what ``tag`` names, every blob under ``blobs/sha256``) of a layout on disk."""
    top = json.loads((path / "index.json").read_text())
    (entry,) = [m for m in top["manifests"] if m.get("annotations", {}).get(REF_NAME) == tag]
    blobs = {f"sha256:{file.name}": file.read_bytes() for file in (path / "blobs" / "sha256").iterdir()}
    return entry["digest"], blobs
