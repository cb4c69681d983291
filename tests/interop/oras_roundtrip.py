#!/usr/bin/env python3
"""Pushes a file artifact with the real `oras` Python client (oras-py) and pulls it back.

Usage: oras_roundtrip.py --registry 127.0.0.1:PORT --work DIR [--user U --password P]
                         [--push-backend basic|token] [--pull-backend basic|token]
                         [--chunked] [--target ns/name:tag]

Plain http (`insecure=True`). With --user/--password the client holds Basic credentials; the
oras-py auth backend decides how it answers a challenge: `basic` sends them on every request,
`token` trades them for a Docker bearer token at the challenge's realm (GET with Basic).
Push and pull use separate clients, so each can use its own backend. The Docker config is never
read from the real home: HOME must point to a scratch directory (the caller sets it).

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
except ImportError as e:  # pragma: no cover - environment problem, reported clearly
    print(json.dumps({"error": f"oras is not installed: {e}"}))
    sys.exit(2)


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registry", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--push-backend", choices=["basic", "token"], default="token")
    parser.add_argument("--pull-backend", choices=["basic", "token"], default="token")
    parser.add_argument("--chunked", action="store_true")
    parser.add_argument("--target", default="interop/oras:v1")
    args = parser.parse_args()

    src = os.path.join(args.work, "src")
    out = os.path.join(args.work, "out")
    os.makedirs(src, exist_ok=True)
    os.makedirs(out, exist_ok=True)
    files = {
        "payload.bin": os.urandom(1024 * 1024 + 4099),
        "notes.txt": b"regcheck interop artifact\n" * 40,
    }
    for name, data in files.items():
        with open(os.path.join(src, name), "wb") as f:
            f.write(data)

    target = f"{args.registry}/{args.target}"
    failures = []
    facts = {
        "target": target,
        "chunked": args.chunked,
        "push_backend": args.push_backend,
        "pull_backend": args.pull_backend,
    }
    try:
        def new_client(backend):
            c = oras.client.OrasClient(hostname=args.registry, insecure=True, auth_backend=backend)
            if args.user:
                c.auth.set_basic_auth(args.user, args.password or "")
            return c

        client = new_client(args.push_backend)
        # oras-py pushes paths relative to the working directory (names become titles).
        os.chdir(src)
        push_kwargs = {"do_chunked": True, "chunk_size": 256 * 1024} if args.chunked else {}
        resp = client.push(target=target, files=list(files), quiet=True, **push_kwargs)
        facts["push_status"] = resp.status_code
        if resp.status_code != 201:
            failures.append(f"manifest PUT answered {resp.status_code}, expected 201")
        manifest = client.get_manifest(target)
        layers = {
            layer["annotations"]["org.opencontainers.image.title"]: layer
            for layer in manifest.get("layers", [])
        }
        for name, data in files.items():
            layer = layers.get(name)
            if layer is None:
                failures.append(f"manifest has no layer titled {name}: {manifest}")
            elif layer["digest"] != sha256(data) or layer["size"] != len(data):
                failures.append(f"layer {name}: {layer} != {sha256(data)} / {len(data)}")
        client = new_client(args.pull_backend)
        pulled = client.pull(target=target, outdir=out)
        facts["pulled"] = sorted(os.path.relpath(p, out) for p in pulled)
        for name, data in files.items():
            path = os.path.join(out, name)
            if not os.path.exists(path):
                failures.append(f"{name} was not pulled (got {facts['pulled']})")
                continue
            with open(path, "rb") as f:
                got = f.read()
            if got != data:
                failures.append(f"{name}: pulled {len(got)} bytes differ from the {len(data)} pushed")
        tags = client.get_tags(target)
        facts["tags"] = tags
        if args.target.rsplit(":", 1)[-1] not in tags:
            failures.append(f"tag list {tags} lacks the pushed tag")
    except Exception as e:  # noqa: BLE001 - any client error is a failure
        failures.append(f"{type(e).__name__}: {e}")
        facts["trace"] = traceback.format_exc(limit=4)

    print(json.dumps({"ok": not failures, "failures": failures, "facts": facts}, indent=1))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
