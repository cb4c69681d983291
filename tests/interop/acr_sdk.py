#!/usr/bin/env python3
"""Drives a registry with the real Python `azure-containerregistry` SDK (the ACR client).

Usage: acr_sdk.py --url http://127.0.0.1:PORT [--aad-token TOKEN] [--repo NAME]

Without --aad-token the client is anonymous (`credential=None`), which fits a registry that
answers without a challenge. With --aad-token the client gets a static TokenCredential whose
token the SDK trades itself at `/oauth2/exchange` (refresh token) and `/oauth2/token` (access
token) on each 401 challenge: the full ACR token flow.

The SDK refuses to send bearer tokens over plain http unless each call carries
`enforce_https=False` (its challenge policy checks that per-request option): over http every call
below passes it; over https (the registry's `--tls`, its CA given to `requests` through
REQUESTS_CA_BUNDLE) none does, so the SDK runs exactly as against ACR.

With --anonymous-denied the script instead checks that an anonymous client is refused by a
registry that requires credentials: the SDK gets an anonymous token (`grant_type=password`),
retries, and the registry answers 401 with `error="insufficient_scope"` on each operation.

Prints one JSON object (steps, failures) on stdout; exits 1 if any step failed, 2 on bad usage.
"""

import argparse
import hashlib
import io
import json
import os
import sys
import time
import traceback

try:
    from azure.containerregistry import (
        ArtifactManifestOrder,
        ArtifactTagOrder,
        ContainerRegistryClient,
    )
    from azure.core.credentials import AccessToken
    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        ResourceNotFoundError,
    )
except ImportError as e:  # pragma: no cover - environment problem, reported clearly
    print(json.dumps({"error": f"azure-containerregistry is not installed: {e}"}))
    sys.exit(2)

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
HTTP = {"enforce_https": False}
# Larger than the SDK's 4 MiB chunk: upload takes two PATCHes, download two ranged GETs.
LAYER_SIZE = 4 * 1024 * 1024 + 123_457


class StaticAadCredential:
    """A TokenCredential that always returns the same "AAD" token."""

    def __init__(self, token):
        self._token = token
        self.requested_scopes = []

    def get_token(self, *scopes, **_kwargs):
        self.requested_scopes.extend(scopes)
        return AccessToken(self._token, int(time.time()) + 3600)


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def describe(exc):
    """A one-line description of an exception, with the HTTP exchange when there was one."""
    if isinstance(exc, HttpResponseError) and exc.response is not None:
        resp = exc.response
        req = resp.request
        try:
            body = resp.text()[:500]
        except Exception:  # noqa: BLE001 - body may be unreadable (streamed)
            body = "<unreadable>"
        return f"{type(exc).__name__}: {req.method} {req.url} -> {resp.status_code} {body}"
    return f"{type(exc).__name__}: {exc}"


class Run:
    def __init__(self):
        self.steps = []
        self.failures = []

    def step(self, name, fn):
        """Runs one step; records its result or failure. Returns fn's value or None."""
        try:
            value = fn()
        except AssertionError as e:
            self.failures.append({"step": name, "error": f"mismatch: {e}"})
            self.steps.append({"step": name, "ok": False})
            return None
        except Exception as e:  # noqa: BLE001 - any SDK error is a failed step
            self.failures.append(
                {"step": name, "error": describe(e), "trace": traceback.format_exc(limit=3)}
            )
            self.steps.append({"step": name, "ok": False})
            return None
        self.steps.append({"step": name, "ok": True})
        return value


def expect(cond, message):
    if not cond:
        raise AssertionError(message)


def expect_refused(fn, what):
    """`fn` must fail with an HTTP error (a lock refused the operation)."""
    try:
        fn()
    except HttpResponseError as e:
        expect(
            e.status_code in (401, 403, 405, 409),
            f"{what}: refused with unexpected status {e.status_code}",
        )
        return e.status_code
    raise AssertionError(f"{what} succeeded although the lock forbids it")


def anonymous_denied(url, repo):
    """An anonymous client must be refused (after its anonymous token) on every surface."""
    client = ContainerRegistryClient(url, None)
    run = Run()

    def refused(fn, path_part):
        try:
            fn()
        except ClientAuthenticationError as e:
            resp = e.response
            expect(resp.status_code == 401, f"status {resp.status_code}")
            expect("/oauth2/" not in resp.request.url, f"token request failed: {describe(e)}")
            expect(path_part in resp.request.url, f"refused request {resp.request.url}")
            expect(
                resp.request.headers.get("Authorization", "").startswith("Bearer "),
                "the retried request carried no anonymous bearer token",
            )
            challenge = resp.headers.get("WWW-Authenticate", "")
            expect('error="insufficient_scope"' in challenge, f"challenge {challenge!r}")
            return
        raise AssertionError("an anonymous client was allowed in")

    run.step(
        "anonymous list_repository_names refused",
        lambda: refused(lambda: list(client.list_repository_names(**HTTP)), "/acr/v1/_catalog"),
    )
    run.step(
        "anonymous get_repository_properties refused",
        lambda: refused(lambda: client.get_repository_properties(repo, **HTTP), "/acr/v1/"),
    )
    run.step(
        "anonymous get_manifest refused",
        lambda: refused(lambda: client.get_manifest(repo, "v1", **HTTP), "/manifests/v1"),
    )
    run.step(
        "anonymous upload_blob refused",
        lambda: refused(lambda: client.upload_blob(repo, io.BytesIO(b"x"), **HTTP), "/blobs/"),
    )
    print(json.dumps({"ok": not run.failures, "steps": run.steps, "failures": run.failures},
                     indent=1))
    return 0 if not run.failures else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--aad-token")
    parser.add_argument("--repo", default="interop/sdk")
    parser.add_argument("--anonymous-denied", action="store_true")
    args = parser.parse_args()
    if args.url.startswith("https://"):
        HTTP.clear()
    if args.anonymous_denied:
        return anonymous_denied(args.url, args.repo)

    credential = StaticAadCredential(args.aad_token) if args.aad_token else None
    client = ContainerRegistryClient(args.url, credential)
    repo = args.repo
    other = repo + "-other"
    run = Run()
    facts = {}

    config = json.dumps(
        {"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}
    ).encode()
    layer = os.urandom(LAYER_SIZE)

    def upload(data, target):
        digest, size = client.upload_blob(target, io.BytesIO(data), **HTTP)
        expect(digest == sha256(data), f"upload_blob digest {digest} != {sha256(data)}")
        expect(size == len(data), f"upload_blob size {size} != {len(data)}")
        return digest

    config_digest = run.step("upload_blob config", lambda: upload(config, repo))
    layer_digest = run.step("upload_blob layer (2 chunks)", lambda: upload(layer, repo))
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": sha256(config), "size": len(config)},
        "layers": [{"mediaType": OCI_LAYER, "digest": sha256(layer), "size": len(layer)}],
    }
    manifest_digest = sha256(json.dumps(manifest).encode())

    def set_manifest(target, tag):
        digest = client.set_manifest(target, manifest, tag=tag, media_type=OCI_MANIFEST, **HTTP)
        expect(digest == manifest_digest, f"set_manifest digest {digest} != {manifest_digest}")

    run.step("set_manifest v1", lambda: set_manifest(repo, "v1"))
    run.step("set_manifest v2 (same manifest)", lambda: set_manifest(repo, "v2"))
    run.step("upload_blob config (other repo)", lambda: upload(config, other))
    run.step("upload_blob layer (other repo)", lambda: upload(layer, other))
    run.step("set_manifest (other repo)", lambda: set_manifest(other, "latest"))

    def docker_manifest():
        docker = {
            "schemaVersion": 2,
            "mediaType": DOCKER_MANIFEST,
            "config": {"mediaType": DOCKER_CONFIG, "digest": sha256(config), "size": len(config)},
            "layers": [{"mediaType": DOCKER_LAYER, "digest": sha256(layer), "size": len(layer)}],
        }
        digest = client.set_manifest(other, docker, tag="docker", media_type=DOCKER_MANIFEST, **HTTP)
        expect(digest == sha256(json.dumps(docker).encode()), f"set_manifest digest {digest}")
        got = client.get_manifest(other, "docker", **HTTP)
        expect(got.media_type == DOCKER_MANIFEST, f"get_manifest media type {got.media_type}")
        expect(got.manifest == docker, f"docker manifest came back as {got.manifest}")
        # One manifest per page in both time orders: the Docker one was pushed last.
        for order, want in (
            (ArtifactManifestOrder.LAST_UPDATED_ON_DESCENDING, [digest, manifest_digest]),
            (ArtifactManifestOrder.LAST_UPDATED_ON_ASCENDING, [manifest_digest, digest]),
        ):
            listed = client.list_manifest_properties(
                other, order_by=order, results_per_page=1, **HTTP
            )
            got = [x.digest for x in listed]
            expect(got == want, f"list_manifest_properties order_by={order.value}: {got}")

    run.step("set_manifest / get_manifest Docker v2 (other repo)", docker_manifest)

    def empty_blob():
        digest = upload(b"", other)
        expect(digest == sha256(b""), f"empty blob digest {digest}")

    run.step("upload_blob empty (no PATCH, digest on PUT)", empty_blob)

    def list_repos():
        # One name per page: exercises the Link header paging.
        names = list(client.list_repository_names(results_per_page=1, **HTTP))
        expect(repo in names and other in names, f"repositories {names} lack {repo}/{other}")
        expect(len(names) == len(set(names)), f"repository pages repeat names: {names}")
        expect(names == sorted(names), f"repositories not in lexical order: {names}")
        facts["repositories"] = names

    run.step("list_repository_names (paged)", list_repos)

    def repo_props():
        p = client.get_repository_properties(repo, **HTTP)
        expect(p.name == repo, f"repository name {p.name!r}")
        expect(p.manifest_count == 1, f"manifest_count {p.manifest_count}")
        expect(p.tag_count == 2, f"tag_count {p.tag_count}")
        expect(p.created_on is not None and p.last_updated_on is not None, "timestamps missing")
        expect(all([p.can_delete, p.can_write, p.can_read, p.can_list]), f"defaults {vars(p)}")

    run.step("get_repository_properties", repo_props)

    def update_repo():
        p = client.update_repository_properties(repo, can_delete=False, **HTTP)
        expect(p.can_delete is False, f"update returned can_delete={p.can_delete}")
        expect(p.can_write is True, f"partial update changed can_write to {p.can_write}")
        back = client.get_repository_properties(repo, **HTTP)
        expect(back.can_delete is False, f"read back can_delete={back.can_delete}")
        expect(back.can_read is True and back.can_list is True, "partial update changed others")
        p = client.update_repository_properties(repo, can_delete=True, **HTTP)
        expect(p.can_delete is True, f"restore returned can_delete={p.can_delete}")

    run.step("update_repository_properties (can_delete)", update_repo)

    def tag_props():
        t = client.get_tag_properties(repo, "v1", **HTTP)
        expect(t.name == "v1", f"tag name {t.name!r}")
        expect(t.digest == manifest_digest, f"tag digest {t.digest} != {manifest_digest}")
        # (ArtifactTagProperties.repository_name is always None in SDK 1.2.0: an SDK bug.)
        tags = [x.name for x in client.list_tag_properties(repo, **HTTP)]
        expect(sorted(tags) == ["v1", "v2"], f"list_tag_properties {tags}")
        # One tag per page (Link paging) in both time orders: v2 was pushed after v1.
        for order, want in (
            (ArtifactTagOrder.LAST_UPDATED_ON_DESCENDING, ["v2", "v1"]),
            (ArtifactTagOrder.LAST_UPDATED_ON_ASCENDING, ["v1", "v2"]),
        ):
            got = [
                x.name
                for x in client.list_tag_properties(
                    repo, order_by=order, results_per_page=1, **HTTP
                )
            ]
            expect(got == want, f"list_tag_properties order_by={order.value}: {got}")

    run.step("get_tag_properties / list_tag_properties", tag_props)

    def update_tag():
        t = client.update_tag_properties(repo, "v2", can_write=False, can_delete=False, **HTTP)
        expect(t.can_write is False and t.can_delete is False, f"update returned {vars(t)}")
        expect(t.can_read is True, "partial tag update changed can_read")
        back = client.get_tag_properties(repo, "v2", **HTTP)
        expect(back.can_write is False and back.can_delete is False, f"read back {vars(back)}")
        facts["locked_tag_delete_status"] = expect_refused(
            lambda: client.delete_tag(repo, "v2", **HTTP), "delete_tag of a locked tag"
        )
        t = client.update_tag_properties(repo, "v2", can_write=True, can_delete=True, **HTTP)
        expect(t.can_write is True and t.can_delete is True, f"restore returned {vars(t)}")

    run.step("update_tag_properties (can_write, can_delete) + lock enforced", update_tag)

    def manifest_props():
        m = client.get_manifest_properties(repo, manifest_digest, **HTTP)
        expect(m.digest == manifest_digest, f"manifest digest {m.digest}")
        expect(m.size_in_bytes == len(json.dumps(manifest).encode()), f"size {m.size_in_bytes}")
        expect(sorted(m.tags or []) == ["v1", "v2"], f"manifest tags {m.tags}")
        # (By tag, the SDK resolves the digest with a call that drops `enforce_https=False`,
        # so over http only digests work; the same holds for delete_manifest.)
        listed = [x.digest for x in client.list_manifest_properties(repo, **HTTP)]
        expect(listed == [manifest_digest], f"list_manifest_properties {listed}")

    run.step("get_manifest_properties / list_manifest_properties", manifest_props)

    def update_manifest():
        m = client.update_manifest_properties(repo, manifest_digest, can_write=False, **HTTP)
        expect(m.can_write is False, f"update returned can_write={m.can_write}")
        expect(m.can_delete is True, "partial manifest update changed can_delete")
        back = client.get_manifest_properties(repo, manifest_digest, **HTTP)
        expect(back.can_write is False, f"read back can_write={back.can_write}")
        m = client.update_manifest_properties(repo, manifest_digest, can_write=True, **HTTP)
        expect(m.can_write is True, f"restore returned can_write={m.can_write}")

    run.step("update_manifest_properties (can_write)", update_manifest)

    def delete_tag():
        client.delete_tag(repo, "v2", **HTTP)
        try:
            client.get_tag_properties(repo, "v2", **HTTP)
        except ResourceNotFoundError:
            pass
        else:
            raise AssertionError("tag v2 still readable after delete_tag")
        tags = [x.name for x in client.list_tag_properties(repo, **HTTP)]
        expect(tags == ["v1"], f"tags after delete {tags}")
        still = client.get_manifest(repo, "v1", **HTTP)
        expect(still.digest == manifest_digest, "deleting v2 affected v1")

    run.step("delete_tag", delete_tag)

    def get_manifest():
        for ref in ("v1", manifest_digest):
            got = client.get_manifest(repo, ref, **HTTP)
            expect(got.manifest == manifest, f"get_manifest({ref}) returned {got.manifest}")
            expect(got.digest == manifest_digest, f"get_manifest({ref}) digest {got.digest}")
            expect(got.media_type == OCI_MANIFEST, f"get_manifest({ref}) type {got.media_type}")

    run.step("get_manifest (tag and digest)", get_manifest)

    def download(digest, expected):
        stream = client.download_blob(repo, digest, **HTTP)
        data = b"".join(stream)
        expect(len(data) == len(expected), f"download_blob {digest}: {len(data)} bytes")
        expect(data == expected, f"download_blob {digest}: bytes differ")

    run.step("download_blob config", lambda: download(sha256(config), config))
    run.step("download_blob layer (2 ranges)", lambda: download(sha256(layer), layer))

    def deletes():
        client.delete_manifest(repo, manifest_digest, **HTTP)
        try:
            client.get_manifest(repo, manifest_digest, **HTTP)
        except ResourceNotFoundError:
            pass
        else:
            raise AssertionError("manifest still readable after delete_manifest")
        client.delete_blob(repo, sha256(config), **HTTP)
        # The SDK treats 404 as success for an already deleted blob.
        client.delete_blob(repo, sha256(config), **HTTP)
        client.delete_repository(other, **HTTP)
        names = list(client.list_repository_names(**HTTP))
        expect(other not in names, f"{other} still listed after delete_repository: {names}")

    run.step("delete_manifest / delete_blob / delete_repository", deletes)

    if credential is not None:
        # The SDK asked its credential for an AAD token: the challenge → exchange path ran.
        run.step(
            "token flow used (credential consulted)",
            lambda: expect(credential.requested_scopes, "the SDK never asked for an AAD token"),
        )
        facts["aad_token_requests"] = len(credential.requested_scopes)
        facts["aad_scopes"] = sorted(set(credential.requested_scopes))
    facts["https"] = args.url.startswith("https://") and not HTTP
    facts.update(
        {"manifest_digest": manifest_digest, "layer_digest": layer_digest,
         "config_digest": config_digest}
    )
    print(json.dumps({"ok": not run.failures, "steps": run.steps, "failures": run.failures,
                      "facts": facts}, indent=1))
    return 0 if not run.failures else 1


if __name__ == "__main__":
    sys.exit(main())
