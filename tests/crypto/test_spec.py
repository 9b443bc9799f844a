"""The code, the spec (docs/protocol.md), the vectors and the contract agree."""

from __future__ import annotations

import json
import re
from pathlib import Path

import vault_client.crypto as crypto
from vault_client.crypto import envelope, labels

ROOT = Path(__file__).resolve().parents[2]
SPEC = (ROOT / "docs" / "protocol.md").read_text()

CONTRACT_NAMES = """
CryptoError KdfParamsError SecretKeyFormatError SecretBytes KdfParams DEFAULT_KDF KDF_FLOOR
KDF_CEILING check_kdf_params new_salt SecretKey AccountKeys derive_account_keys new_symmetric_key
wrap_account_key unwrap_account_key KeyPairs PublicBundle make_public_bundle verify_public_bundle
fingerprint safety_number wrap_private_keys unwrap_private_keys wrap_vault_key unwrap_vault_key
seal_grant open_grant seal_item open_item blob_hash manifest_mac verify_manifest bucket_of bucket_digest
manifest_mac_from_buckets verify_manifest_from_buckets RecoveryCode
recovery_keys wrap_account_key_for_recovery unwrap_account_key_for_recovery
""".split()


def _anchors(markdown: str) -> set[str]:
    """GitHub-style anchors of the headings."""
    out = set()
    for heading in re.findall(r"^#{1,6} (.+)$", markdown, flags=re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        out.add(slug)
    return out


def test_every_label_is_quoted_in_the_spec():
    assert len(labels.ALL) >= 17
    for name, value in labels.ALL.items():
        assert f'`"{value.decode()}"`' in SPEC, f"label {name} missing from docs/protocol.md"
        assert value.startswith(b"blindvault/v1/") and value.isascii()


def test_no_label_is_a_prefix_of_another():
    values = list(labels.ALL.values())
    assert len(set(values)) == len(values)
    for a in values:
        for b in values:
            assert a == b or not b.startswith(a), (a, b)


def test_every_kind_is_in_the_spec_table():
    for kind, name in envelope.KIND_NAMES.items():
        assert re.search(rf"^\| 0x{kind:02x} \| {name} \|", SPEC, flags=re.M), name


def test_vector_files_link_to_existing_sections():
    anchors = _anchors(SPEC)
    files = sorted((ROOT / "tests" / "vectors").glob("*.json"))
    assert len(files) >= 12
    for path in files:
        doc = json.loads(path.read_text())
        assert doc["spec"].split("#", 1)[1] in anchors, path.name
        assert doc["cases"] and all(c["expect"] in ("success", "failure") and c["comment"] for c in doc["cases"])
        assert any(c["expect"] == "failure" for c in doc["cases"]), f"{path.name} has no failure case"


def test_required_sections_exist():
    anchors = _anchors(SPEC)
    for section in ("conventions", "labels", "key-hierarchy", "sync-and-manifest-semantics",
                    "a-client-must-reject", "http-api"):
        assert section in anchors
    assert "(api.md)" in SPEC


def test_public_api_has_every_contract_name():
    for name in CONTRACT_NAMES:
        assert hasattr(crypto, name) and name in crypto.__all__, name
    assert callable(envelope.parse_envelope)
