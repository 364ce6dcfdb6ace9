#!/usr/bin/env python3
"""Writes a `docker save` archive as Docker Engine 25+ does, from one image of an OCI layout.

    python3 save.py LAYOUT TAG REPO_TAG OUT.tar

Docker 25 (moby PR #44598) stores everything as OCI content: uncompressed layer tars and the
config under blobs/sha256/, an OCI image manifest naming them, index.json whose entry carries
`io.containerd.image.name` (the full reference) and `org.opencontainers.image.ref.name` (the
tag), `oci-layout`, and the legacy manifest.json (Config/Layers point at the blobs) and
`repositories`. Only the standard library is used."""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile

layout, tag, repo_tag, out = sys.argv[1:5]


def blob(digest):
    algo, hexd = digest.split(":", 1)
    with open(os.path.join(layout, "blobs", algo, hexd), "rb") as f:
        return f.read()


index = json.loads(open(os.path.join(layout, "index.json"), "rb").read())
entry = next(
    m for m in index["manifests"]
    if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag
)
manifest = json.loads(blob(entry["digest"]))
config = manifest["config"]
blobs = {config["digest"]: blob(config["digest"])}
layers = []
for layer in manifest["layers"]:
    data = blob(layer["digest"])
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)  # Docker's classic store saves layers uncompressed
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    blobs[digest] = data
    layers.append({
        "mediaType": "application/vnd.oci.image.layer.v1.tar",
        "digest": digest,
        "size": len(data),
    })


def canonical(obj):
    return json.dumps(obj, separators=(",", ":")).encode()


new_manifest = canonical({
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {
        "mediaType": "application/vnd.oci.image.config.v1+json",
        "digest": config["digest"],
        "size": config["size"],
    },
    "layers": layers,
})
manifest_digest = "sha256:" + hashlib.sha256(new_manifest).hexdigest()
blobs[manifest_digest] = new_manifest
name, _, short_tag = repo_tag.rpartition(":")
first = name.split("/")[0]
if "/" in name and ("." in first or ":" in first or first == "localhost"):
    full = name  # names its registry
else:
    full = "docker.io/" + (name if "/" in name else "library/" + name)
files = {
    "oci-layout": canonical({"imageLayoutVersion": "1.0.0"}),
    "index.json": canonical({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": manifest_digest,
            "size": len(new_manifest),
            "annotations": {
                "io.containerd.image.name": f"{full}:{short_tag}",
                "org.opencontainers.image.ref.name": short_tag,
            },
        }],
    }),
    "manifest.json": canonical([{
        "Config": "blobs/sha256/" + config["digest"].split(":")[1],
        "RepoTags": [repo_tag],
        "Layers": ["blobs/sha256/" + l["digest"].split(":")[1] for l in layers],
    }]),
    "repositories": canonical({name: {short_tag: layers[-1]["digest"].split(":")[1]}}),
}
for digest, data in sorted(blobs.items()):
    files["blobs/sha256/" + digest.split(":")[1]] = data
with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tar:
    for dirname in ["blobs", "blobs/sha256"]:
        info = tarfile.TarInfo(dirname)
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
        tar.addfile(info)
    for path, data in sorted(files.items()):
        info = tarfile.TarInfo(path)
        info.size = len(data)
        info.mode = 0o644
        tar.addfile(info, io.BytesIO(data))
print(manifest_digest)
