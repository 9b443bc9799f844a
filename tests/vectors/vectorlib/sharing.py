"""Vectors for identities and sharing: public bundle, private keys wrap, vault key wrap, grants."""

from __future__ import annotations

from dataclasses import replace

from cryptography.exceptions import InvalidTag

from vault_client.crypto import KeyPairs, SecretBytes, fingerprint, make_public_bundle, safety_number
from vault_client.crypto import envelope
from vault_client.crypto.grant import _SUITE, GRANT_LEN, _sign_grant, grant_info
from vault_client.crypto.identity import _wrap_private_keys_with_nonce, sharing_key
from vault_client.crypto.vault import _wrap_vault_key_with_nonce

from .common import aead_tampers, bad, det, det_uuid, document, flip, ok, put


def keypairs(label: str) -> tuple[bytes, KeyPairs]:
    """Fixed private keys (the 128-byte private layout) for ``label``."""
    raw = det(f"private keys {label}", 128)
    return raw, KeyPairs._from_private_bytes(raw)


def _bundle_fields(bundle) -> dict:
    return {
        "account_id": str(bundle.account_id),
        "identity_public": bundle.identity_public.hex(),
        "sharing_public": bundle.sharing_public.hex(),
        "signature": bundle.signature.hex(),
    }


def bundle_vectors() -> dict:
    raw, keys = keypairs("alice")
    account_id = det_uuid("alice")
    email = "alice@example.org"
    bundle = make_public_bundle(keys, account_id, email)
    fields = _bundle_fields(bundle)
    cases = [
        ok("a bundle made from fixed private keys", private_keys=raw.hex(), email=email, **fields,
           fingerprint=fingerprint(bundle).hex(), safety_number=safety_number(bundle)),
        ok("the email is compared after NFKC, trimming and case folding", email="  Alice@EXAMPLE.org ",
           **fields),
    ]
    _, mallory = keypairs("mallory")
    forged = make_public_bundle(mallory, account_id, email)
    tampers = [
        ("another email", dict(fields), "bob@example.org"),
        ("one bit flipped in the signature", dict(fields, signature=flip(bundle.signature, 0).hex()), email),
        ("sharing key substituted by the server", dict(fields, sharing_public=mallory.sharing_public.hex()),
         email),
        ("identity key substituted (signature no longer matches)",
         dict(fields, identity_public=mallory.identity_public.hex()), email),
        ("bound to another account id", dict(fields, account_id=str(det_uuid("bob"))), email),
        ("sharing key truncated by one byte", dict(fields, sharing_public=bundle.sharing_public[:-1].hex()),
         email),
        ("ML-KEM public key that is not a valid encoding (all 0xff)",
         dict(fields, sharing_public=("ff" * 1184) + bundle.sharing_public[1184:].hex()), email),
        ("a whole bundle re-signed by another identity: verifies, but its fingerprint differs",
         None, email),
    ]
    for comment, tampered, mail in tampers:
        if tampered is None:
            cases.append(ok(comment, email=mail, **_bundle_fields(forged), fingerprint=fingerprint(forged).hex(),
                            safety_number=safety_number(forged)))
            continue
        cases.append(bad(comment, email=mail, **tampered))
    return document("Public bundle, fingerprint and safety number", "identity-and-public-bundle", cases)


def private_keys_wrap_vectors() -> dict:
    raw, keys = keypairs("alice")
    account_key = SecretBytes(det("account key", 32))
    account_id = det_uuid("alice")
    nonce = det("nonce private keys", 12)
    blob = _wrap_private_keys_with_nonce(account_key, keys, account_id, nonce)
    common = {"account_key": account_key.reveal().hex(), "account_id": str(account_id)}
    cases = [ok("both private keys wrapped under the account key", **common, private_keys=raw.hex(),
                identity_public=keys.identity_public.hex(), sharing_public=keys.sharing_public.hex(),
                nonce=nonce.hex(), blob=blob.hex())]
    cases += [bad(c, **common, blob=b.hex()) for c, b in aead_tampers(blob, envelope.KIND_VAULT_KEY)]
    cases += [
        bad("bound to another account id", account_key=common["account_key"],
            account_id=str(det_uuid("bob")), blob=blob.hex()),
        bad("wrong account key", account_key=det("other", 32).hex(), account_id=common["account_id"],
            blob=blob.hex()),
    ]
    return document("Private keys wrap (kind 0x02)", "private-keys-wrap-kind-0x02", cases)


def vault_key_wrap_vectors() -> dict:
    account_key = SecretBytes(det("account key", 32))
    vault_key = SecretBytes(det("vault key", 32))
    vault_id = det_uuid("vault")
    nonce = det("nonce vault wrap", 12)
    blob = _wrap_vault_key_with_nonce(account_key, vault_key, vault_id, 3, nonce)
    common = {"account_key": account_key.reveal().hex(), "vault_id": str(vault_id), "generation": 3}
    cases = [ok("a vault key of generation 3 wrapped under the account key", **common,
                vault_key=vault_key.reveal().hex(), nonce=nonce.hex(), blob=blob.hex())]
    cases += [bad(c, **common, blob=b.hex()) for c, b in aead_tampers(blob, envelope.KIND_ACCOUNT_KEY)]
    cases += [
        bad("another vault id", **dict(common, vault_id=str(det_uuid("other vault"))), blob=blob.hex()),
        bad("an older generation (2)", **dict(common, generation=2), blob=blob.hex()),
        bad("a newer generation (4)", **dict(common, generation=4), blob=blob.hex()),
        bad("generation 0 (never valid)", **dict(common, generation=0), blob=blob.hex()),
        bad("generation 2**32 (out of range)", **dict(common, generation=2**32), blob=blob.hex()),
        bad("wrong account key", **dict(common, account_key=det("other", 32).hex()), blob=blob.hex()),
    ]
    return document("Vault key wrap (kind 0x03)", "vault-key-wrap-kind-0x03", cases)


def _sealed(existing: dict | None, comment: str, info: bytes, recipient_keys: KeyPairs, vault_key: bytes,
            recipient_bundle) -> bytes:
    """The HPKE ciphertext of a grant case: reused from ``existing`` when it still opens."""
    for case in (existing or {}).get("cases", []):
        if case["comment"] == comment and "sealed" in case:
            sealed = bytes.fromhex(case["sealed"])
            try:
                if _SUITE.decrypt(sealed, recipient_keys._hpke_private(), info=info) == vault_key:
                    return sealed
            except (InvalidTag, ValueError):
                pass
    return _SUITE.encrypt(vault_key, sharing_key(recipient_bundle), info=info)


def grant_vectors(existing: dict | None) -> dict:
    inviter_raw, inviter = keypairs("alice")
    recipient_raw, recipient = keypairs("bob")
    inviter_id, recipient_id, vault_id = det_uuid("alice"), det_uuid("bob"), det_uuid("vault")
    vault_key = det("vault key", 32)
    inviter_bundle = make_public_bundle(inviter, inviter_id, "alice@example.org")
    recipient_bundle = make_public_bundle(recipient, recipient_id, "bob@example.org")
    generation, role = 3, "editor"
    info = grant_info(vault_id, recipient_id, generation, role)
    main = "an editor grant of generation 3, decrypt-only known answer"
    sealed = _sealed(existing, main, info, recipient, vault_key, recipient_bundle)
    blob = _sign_grant(sealed, vault_id, generation, role, recipient_id, inviter, inviter_id)
    common = {
        "recipient_private_keys": recipient_raw.hex(),
        "recipient_id": str(recipient_id),
        "inviter_bundle": _bundle_fields(inviter_bundle),
        "vault_id": str(vault_id),
        "generation": generation,
        "role": role,
    }
    cases = [ok(main, **common, inviter_private_keys=inviter_raw.hex(), hpke_info=info.hex(), sealed=sealed.hex(),
                vault_key=vault_key.hex(), blob=blob.hex())]
    wrong_info = "sealed with HPKE info for generation 4 but signed for generation 3 (wrong HPKE info)"
    info4 = grant_info(vault_id, recipient_id, 4, role)
    sealed4 = _sealed(existing, wrong_info, info4, recipient, vault_key, recipient_bundle)
    cases.append(bad(wrong_info, **common, sealed=sealed4.hex(),
                     blob=_sign_grant(sealed4, vault_id, generation, role, recipient_id, inviter, inviter_id).hex()))
    _, mallory = keypairs("mallory")
    forged = _sign_grant(sealed, vault_id, generation, role, recipient_id, mallory, inviter_id)
    sig_at = envelope.HEADER_LEN + len(sealed)
    other_inviter = _bundle_fields(replace(inviter_bundle, account_id=det_uuid("carol")))
    _, carol = keypairs("carol")
    tampers = [
        ("signed by another identity (the server's key) under the inviter's id", forged, {}),
        ("one bit flipped in the HPKE encapsulated key", flip(blob, envelope.HEADER_LEN), {}),
        ("one bit flipped in the HPKE ciphertext", flip(blob, sig_at - 20), {}),
        ("one bit flipped in the signature", flip(blob, sig_at + 5), {}),
        ("unknown version byte", put(blob, 0, 2), {}),
        ("kind byte of a vault key wrap", put(blob, 1, envelope.KIND_VAULT_KEY), {}),
        ("truncated by one byte", blob[:-1], {}),
        ("extended by one byte", blob + b"\x00", {}),
        ("empty", b"", {}),
        ("opened as another vault", blob, {"vault_id": str(det_uuid("other vault"))}),
        ("opened for another generation", blob, {"generation": 4}),
        ("opened with another role (viewer)", blob, {"role": "viewer"}),
        ("a role that does not exist", blob, {"role": "admin"}),
        ("opened by another recipient id", blob, {"recipient_id": str(det_uuid("carol"))}),
        ("opened with another recipient's private keys", blob,
         {"recipient_private_keys": det("private keys carol", 128).hex()}),
        ("inviter bundle with the same keys but another account id", blob, {"inviter_bundle": other_inviter}),
        ("inviter bundle of someone else entirely", blob,
         {"inviter_bundle": _bundle_fields(make_public_bundle(carol, inviter_id, "alice@example.org"))}),
    ]
    for comment, data, changes in tampers:
        cases.append(bad(comment, **dict(common, **changes), blob=data.hex()))
    assert len(blob) == GRANT_LEN
    return document("Grant (kind 0x06)", "grant-kind-0x06", cases)
