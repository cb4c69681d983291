#!/usr/bin/env python3
"""Attaches artifacts to an image with the real `oras` Python client (oras-py) and discovers them
through the OCI 1.1 referrers API.

Usage: oras_referrers.py --registry 127.0.0.1:PORT --work DIR [--user U --password P]
                         [--push-backend basic|token] [--discover-backend basic|token]
                         [--repo ns/name]

oras-py (0.2.x) can push a manifest with a `subject` (`OrasClient.push(subject=Subject(...))`,
the artifact's type then being its config media type) and PUT any manifest dict
(`upload_manifest`), but has no `discover`: the referrers list is read with the client's own
authenticated session (`OrasClient.do_request`, which answers auth challenges like every other
oras-py request) from `GET /v2/<name>/referrers/<digest>`.

Steps: push an image (the subject); attach an SBOM with `push(subject=...)` (config media type
`application/vnd.example.sbom.v1`, manifest annotations); attach a signature manifest built
here with a top-level `artifactType` and the empty config (`upload_manifest`); each PUT must
answer `OCI-Subject: <subject digest>`. Then discover: both descriptors, with artifactType and
annotations; `?artifactType=` returns the SBOM only with `OCI-Filters-Applied: artifactType`;
and pull the SBOM by the digest discovery gave.

Pushes and discovery use separate clients, each with its own auth backend (`basic` sends the
credentials on every request, `token` trades them for a bearer token at the challenge's realm).
Plain http (`insecure=True`); HOME must point to a scratch directory (the caller sets it).
Prints one JSON object on stdout; exits 1 on any mismatch or client error, 2 on bad usage.
"""

import argparse
import hashlib
import json
import os
import sys
import traceback

try:
    import oras.client
    import oras.oci
except ImportError as e:  # pragma: no cover - environment problem, reported clearly
    print(json.dumps({"error": f"oras is not installed: {e}"}))
    sys.exit(2)

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"
SBOM_TYPE = "application/vnd.example.sbom.v1"
SIG_TYPE = "application/vnd.example.signature.v1"


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registry", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--push-backend", choices=["basic", "token"], default="token")
    parser.add_argument("--discover-backend", choices=["basic", "token"], default="token")
    parser.add_argument("--repo", default="interop/referrers")
    args = parser.parse_args()

    src = os.path.join(args.work, "src")
    out = os.path.join(args.work, "out")
    os.makedirs(src, exist_ok=True)
    os.makedirs(out, exist_ok=True)
    base = f"{args.registry}/{args.repo}"
    failures = []
    facts = {
        "repo": args.repo,
        "push_backend": args.push_backend,
        "discover_backend": args.discover_backend,
    }

    def expect(cond, message):
        if not cond:
            failures.append(message)

    try:
        def new_client(backend):
            c = oras.client.OrasClient(hostname=args.registry, insecure=True, auth_backend=backend)
            if args.user:
                c.auth.set_basic_auth(args.user, args.password or "")
            return c

        client = new_client(args.push_backend)
        # oras-py pushes paths relative to the working directory (names become titles).
        os.chdir(src)
        image = os.urandom(64 * 1024 + 7)
        write("image.bin", image)
        sbom = json.dumps({"packages": ["regcheck"], "nonce": os.urandom(8).hex()}).encode()
        write("sbom.json", sbom)
        write("sbom-config.json", b"{}")
        signature = os.urandom(256)
        write("signature.bin", signature)
        write("empty.json", b"{}")

        # 1. The subject: an ordinary oras push.
        resp = client.push(target=f"{base}:v1", files=["image.bin"], quiet=True)
        expect(resp.status_code == 201, f"subject PUT answered {resp.status_code}")
        got = client.do_request(
            f"http://{args.registry}/v2/{args.repo}/manifests/v1",
            "GET",
            headers={"Accept": OCI_MANIFEST},
        )
        expect(got.status_code == 200, f"GET subject manifest answered {got.status_code}")
        subject_bytes = got.content
        subject = oras.oci.Subject(OCI_MANIFEST, sha256(subject_bytes), len(subject_bytes))
        facts["subject"] = subject.digest

        # 2. An SBOM attached by oras-py itself (no artifactType: the config media type counts).
        resp = client.push(
            target=f"{base}:sbom",
            files=["sbom.json"],
            manifest_config=f"sbom-config.json:{SBOM_TYPE}",
            manifest_annotations={"org.example.sbom.format": "json"},
            subject=subject,
            quiet=True,
        )
        expect(resp.status_code == 201, f"SBOM PUT answered {resp.status_code}")
        sbom_digest = resp.headers.get("Docker-Content-Digest", "")
        facts["sbom_oci_subject"] = resp.headers.get("OCI-Subject")
        expect(
            resp.headers.get("OCI-Subject") == subject.digest,
            f"SBOM PUT: OCI-Subject {resp.headers.get('OCI-Subject')!r}, want {subject.digest}",
        )
        if not sbom_digest:
            sbom_manifest = client.get_manifest(f"{base}:sbom")
            sbom_digest = sha256(json.dumps(sbom_manifest).encode())
        facts["sbom"] = sbom_digest

        # 3. A signature in the OCI 1.1 artifact form: artifactType + the empty config.
        sig_container = client.get_container(f"{base}:sig")
        empty = {"mediaType": OCI_EMPTY, "digest": sha256(b"{}"), "size": 2}
        layer = {"mediaType": "application/octet-stream", "digest": sha256(signature), "size": len(signature)}
        for path, desc in (("empty.json", empty), ("signature.bin", layer)):
            r = client.upload_blob(path, sig_container, desc)
            expect(r.status_code in (200, 201), f"blob {path} answered {r.status_code}")
        manifest = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "artifactType": SIG_TYPE,
            "config": empty,
            "layers": [layer],
            "subject": {"mediaType": subject.mediaType, "digest": subject.digest, "size": subject.size},
            "annotations": {"org.example.signature.fingerprint": "abcd"},
        }
        resp = client.upload_manifest(manifest, sig_container)
        expect(resp.status_code == 201, f"signature PUT answered {resp.status_code}")
        sig_digest = resp.headers.get("Docker-Content-Digest", "")
        facts["signature"] = sig_digest
        expect(
            resp.headers.get("OCI-Subject") == subject.digest,
            f"signature PUT: OCI-Subject {resp.headers.get('OCI-Subject')!r}",
        )

        # 4. Discover with a client's session (oras-py has no discover of its own).
        client = new_client(args.discover_backend)
        url = f"http://{args.registry}/v2/{args.repo}/referrers/{subject.digest}"
        r = client.do_request(url, "GET", headers={"Accept": OCI_INDEX})
        facts["discover_status"] = r.status_code
        facts["discover_content_type"] = r.headers.get("Content-Type")
        expect(r.status_code == 200, f"referrers GET answered {r.status_code}: {r.text}")
        expect(
            r.headers.get("Content-Type") == OCI_INDEX,
            f"referrers Content-Type {r.headers.get('Content-Type')!r}",
        )
        listing = r.json()
        found = {d.get("digest"): d for d in listing.get("manifests", [])}
        facts["discovered"] = sorted(
            (d.get("artifactType") or "") for d in found.values()
        )
        expect(listing.get("mediaType") == OCI_INDEX, f"listing mediaType: {listing}")
        expect(set(found) == {sbom_digest, sig_digest}, f"referrers {sorted(found)}")
        s = found.get(sbom_digest, {})
        expect(s.get("artifactType") == SBOM_TYPE, f"SBOM descriptor {s}")
        expect(
            (s.get("annotations") or {}).get("org.example.sbom.format") == "json",
            f"SBOM annotations {s}",
        )
        g = found.get(sig_digest, {})
        expect(g.get("artifactType") == SIG_TYPE, f"signature descriptor {g}")
        expect(
            g.get("annotations") == {"org.example.signature.fingerprint": "abcd"},
            f"signature annotations {g}",
        )
        expect(g.get("mediaType") == OCI_MANIFEST, f"signature mediaType {g}")

        r = client.do_request(f"{url}?artifactType={SBOM_TYPE}", "GET")
        filtered = [d.get("digest") for d in r.json().get("manifests", [])]
        facts["filtered"] = filtered
        facts["filters_applied"] = r.headers.get("OCI-Filters-Applied")
        expect(filtered == [sbom_digest], f"filtered referrers {filtered}")
        expect(
            r.headers.get("OCI-Filters-Applied") == "artifactType",
            f"OCI-Filters-Applied {r.headers.get('OCI-Filters-Applied')!r}",
        )

        # 5. Pull what discovery found, by digest.
        pulled = client.pull(target=f"{base}@{sbom_digest}", outdir=out)
        facts["pulled"] = sorted(os.path.relpath(p, out) for p in pulled)
        path = os.path.join(out, "sbom.json")
        if os.path.exists(path):
            with open(path, "rb") as f:
                expect(f.read() == sbom, "pulled sbom.json differs from the pushed one")
        else:
            failures.append(f"sbom.json was not pulled (got {facts['pulled']})")
    except Exception as e:  # noqa: BLE001 - any client error is a failure
        failures.append(f"{type(e).__name__}: {e}")
        facts["trace"] = traceback.format_exc(limit=4)

    print(json.dumps({"ok": not failures, "failures": failures, "facts": facts}, indent=1))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
