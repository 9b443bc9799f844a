"""Regenerate the known-answer vectors of the Blindvault protocol (docs/protocol.md).

    python tests/vectors/generate.py          # rewrite every *.json file here
    python tests/vectors/generate.py --check  # exit 1 if a file differs from what would be written

Every input comes from fixed seeds (SHAKE-256 of a case label) and fixed nonces, so the output is
byte-for-byte reproducible. The one exception is HPKE: its encapsulation is randomised inside the
library, so the grant vectors are decrypt-only known answers. An existing grant ciphertext is kept
when it still opens under the fixed keys; a fresh one is made only when it does not.

File format: ``{"construction", "spec", "encoding", "cases": [...]}``; every case has ``comment``,
``expect`` ("success" or "failure") and, for failures, ``error`` (the exception class). Bytes are
lowercase hex; UUIDs are canonical strings; KDF parameters use the wire form.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from vectorlib import (  # noqa: E402  (the path above makes the sibling module importable)
    accounts,
    attachments,
    items,
    sharing,
)

BUILDERS = {
    "envelope.json": items.envelope_vectors,
    "kdf.json": accounts.kdf_vectors,
    "secret_key.json": accounts.secret_key_vectors,
    "account_key_wrap.json": accounts.account_key_wrap_vectors,
    "recovery.json": accounts.recovery_vectors,
    "export.json": accounts.export_vectors,
    "public_bundle.json": sharing.bundle_vectors,
    "private_keys_wrap.json": sharing.private_keys_wrap_vectors,
    "vault_key_wrap.json": sharing.vault_key_wrap_vectors,
    "grant.json": sharing.grant_vectors,
    "item.json": items.item_vectors,
    "manifest.json": items.manifest_vectors,
    "attachment.json": attachments.attachment_vectors,
}


def _existing(name: str) -> dict | None:
    path = HERE / name
    return json.loads(path.read_text()) if path.exists() else None


def build_all() -> dict[str, str]:
    """File name -> exact file text, for every vector file."""
    out = {}
    for name, builder in BUILDERS.items():
        data = builder(_existing(name)) if name == "grant.json" else builder()
        out[name] = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return out


def main(argv: list[str]) -> int:
    files = build_all()
    if "--check" in argv:
        stale = [n for n, text in files.items() if not (HERE / n).exists() or (HERE / n).read_text() != text]
        for name in stale:
            print(f"generate: {name} is out of date", file=sys.stderr)
        return 1 if stale else 0
    for name, text in files.items():
        (HERE / name).write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
