"""Vectors for unlocking: KDF, Secret Key, account key wrap, recovery code, encrypted export."""

from __future__ import annotations

import struct
import unicodedata

from vault_client.crypto import (
    KDF_CEILING,
    KDF_FLOOR,
    KdfParams,
    RecoveryCode,
    SecretBytes,
    SecretKey,
    SecretKeyFormatError,
    derive_account_keys,
)
from vault_client.crypto import envelope, humanform, labels
from vault_client.crypto.account import _wrap_account_key_with_nonce
from vault_client.crypto.derive import hkdf
from vault_client.crypto.export import _seal_export_with
from vault_client.crypto.kdf import password_key
from vault_client.crypto.recovery import _wrap_account_key_for_recovery_with_nonce, recovery_keys

from .common import aead_tampers, bad, det, det_uuid, document, flip, ok


def _kdf_success(comment: str, password: str, label: str, params: KdfParams, pinned=None) -> dict:
    secret_key = SecretKey(SecretBytes(det(f"secret key {label}", 16)))
    salt = det(f"salt {label}", 16)
    pkey = password_key(password, salt, params, pinned)
    keys = derive_account_keys(password, secret_key, salt, params, pinned)
    return ok(
        comment,
        password=password,
        password_nfkc_utf8=unicodedata.normalize("NFKC", password).encode("utf-8").hex(),
        secret_key=secret_key.format(),
        salt=salt.hex(),
        params=params.to_dict(),
        pinned=pinned.to_dict() if pinned else None,
        password_key=pkey.hex(),
        master=hkdf(pkey + secret_key.secret.reveal(), salt, labels.MASTER).hex(),
        auth_key=keys.auth_key.reveal().hex(),
        kek=keys.kek.reveal().hex(),
    )


def kdf_vectors() -> dict:
    floor = KDF_FLOOR
    cases = [
        _kdf_success("ASCII password at the floor parameters", "correct horse battery staple", "a", floor),
        _kdf_success("precomposed \u00e9 and \u00e0", "mot de passe d\u00e9j\u00e0", "nfkc", floor),
        _kdf_success(
            "decomposed e + U+0301, a + U+0300: NFKC gives the same keys as the case above",
            "mot de passe de\u0301ja\u0300", "nfkc", floor,
        ),
        _kdf_success(
            "fullwidth letters and the fi ligature (U+FB01) normalise to ASCII under NFKC",
            "\uff30\uff41\uff53\uff53 \ufb01sh", "fullwidth", floor,
        ),
        _kdf_success(
            "parallelism may differ from the pin (1 < 4); memory and iterations equal it",
            "pinned", "pin", floor, KdfParams(19456, 2, 4),
        ),
    ]
    salt = det("salt bad", 16).hex()
    rejected = [
        ("memory below the floor (19455 KiB)", KdfParams(19455, 2, 1), None),
        ("iterations below the floor (1)", KdfParams(19456, 1, 1), None),
        ("parallelism 0", KdfParams(19456, 2, 0), None),
        ("memory above the ceiling (1 GiB + 1 KiB)", KdfParams(KDF_CEILING.memory_kib + 1, 2, 1), None),
        ("iterations above the ceiling (11)", KdfParams(19456, 11, 1), None),
        ("parallelism above the ceiling (17)", KdfParams(65536, 3, 17), None),
        ("a hostile server's 1 KiB, t=1 (the weakening attack)", KdfParams(1024, 1, 1), None),
        ("memory below this device's pin", KdfParams(32768, 3, 4), KdfParams(65536, 3, 4)),
        ("iterations below this device's pin", KdfParams(65536, 2, 4), KdfParams(65536, 3, 4)),
    ]
    secret_key = SecretKey(SecretBytes(det("sk bad", 16))).format()
    for comment, params, pinned in rejected:
        cases.append(
            bad(comment, "KdfParamsError", password="x", secret_key=secret_key, salt=salt,
                params=params.to_dict(), pinned=pinned.to_dict() if pinned else None)
        )
    cases.append(
        bad("a 15-byte salt", "KdfParamsError", password="x", secret_key=secret_key, salt=salt[:30],
            params=floor.to_dict(), pinned=None)
    )
    return document("Two-secret key derivation", "two-secret-key-derivation", cases)


def _with_checks(prefix: str, label: bytes, body: str) -> str:
    """A human form with valid check symbols around an arbitrary body (for overflow cases)."""
    values = [humanform.ALPHABET.index(c) for c in body]
    values.append(humanform._hash_check(label, prefix, body))
    values.append(humanform._luhn_check(values))
    return prefix + "-" + "".join(humanform.ALPHABET[v] for v in values)


def _substitute(text: str, index: int) -> str:
    """``text`` with the symbol at ``index`` replaced by the next symbol of the alphabet."""
    ch = text[index]
    return text[:index] + humanform.ALPHABET[(humanform.ALPHABET.index(ch) + 1) % 32] + text[index + 1 :]


def _human_cases(cls, label: str) -> list[dict]:
    raw = det(label, cls.LENGTH)
    text = cls(SecretBytes(raw)).format()
    compact = text.replace("-", "")
    plen = len(cls.PREFIX)
    width = humanform.body_symbols(cls.LENGTH)
    cases = [
        ok("canonical form (format output)", text=text, bytes=raw.hex(), canonical=True),
        ok("lowercase", text=text.lower(), bytes=raw.hex()),
        ok("spaces instead of dashes", text=text.replace("-", " "), bytes=raw.hex()),
        ok("no dashes at all", text=compact, bytes=raw.hex()),
        ok("extra dashes and surrounding spaces", text=" " + text.replace("-", "--") + "- ", bytes=raw.hex()),
    ]
    head, rest = text[:plen], text[plen:]
    ambiguous = head + rest.replace("0", "O").replace("1", "l")
    if ambiguous != text:
        cases.append(ok("O typed for 0 and l for 1 (Crockford aliases)", text=ambiguous, bytes=raw.hex()))
    noun = cls.NOUN
    errors = "SecretKeyFormatError"
    for index, where in ((plen, "first body symbol"), (plen + width // 2, "a middle body symbol"),
                         (plen + width, "the hash check symbol"), (plen + width + 1, "the Luhn check symbol")):
        cases.append(bad(f"one mistyped symbol: {where}", errors, text=_substitute(compact, index)))
    swap = next(
        i for i in range(plen, len(compact) - 1)
        if compact[i] != compact[i + 1] and _detects_swap(cls, compact, i)
    )
    swapped = compact[:swap] + compact[swap + 1] + compact[swap] + compact[swap + 2 :]
    cases += [
        bad("two adjacent symbols swapped", errors, text=swapped),
        bad("one symbol missing", errors, text=compact[:-1]),
        bad("one symbol too many", errors, text=compact + "0"),
        bad("U is not in the alphabet", errors, text=compact[:-1] + "U"),
        bad("wrong prefix", errors, text="XX" + compact[2:]),
        bad("empty", errors, text=""),
        bad(f"a {noun} whose body overflows {cls.LENGTH * 8} bits despite valid checks", errors,
            text=_with_checks(cls.PREFIX, cls.CHECK_LABEL, "Z" * width)),
    ]
    return cases


def _detects_swap(cls, compact: str, i: int) -> bool:
    try:
        cls.parse(compact[:i] + compact[i + 1] + compact[i] + compact[i + 2 :])
    except SecretKeyFormatError:
        return True
    return False


def secret_key_vectors() -> dict:
    cases = _human_cases(SecretKey, "secret key human form")
    cases.append(bad("a recovery code is not a Secret Key", "SecretKeyFormatError",
                     text=RecoveryCode(SecretBytes(det("rc", 32))).format()))
    return document("Secret Key human form", "human-forms", cases)


def account_key_wrap_vectors() -> dict:
    kek = SecretBytes(det("kek", 32))
    account_key = SecretBytes(det("account key", 32))
    account_id = det_uuid("account")
    nonce = det("nonce account wrap", 12)
    blob = _wrap_account_key_with_nonce(kek, account_key, account_id, nonce)
    common = {"kek": kek.reveal().hex(), "account_id": str(account_id)}
    cases = [ok("account key wrapped under the KEK", **common, account_key=account_key.reveal().hex(),
                nonce=nonce.hex(), blob=blob.hex())]
    cases += [bad(c, **common, blob=b.hex()) for c, b in aead_tampers(blob, envelope.KIND_RECOVERY)]
    cases += [
        bad("bound to another account id", kek=common["kek"], account_id=str(det_uuid("other account")),
            blob=blob.hex()),
        bad("wrong KEK (wrong password or Secret Key)", kek=det("other kek", 32).hex(),
            account_id=common["account_id"], blob=blob.hex()),
    ]
    return document("Account key wrap (kind 0x01)", "account-key-wrap-kind-0x01", cases)


def recovery_vectors() -> dict:
    code = RecoveryCode(SecretBytes(det("recovery code", 32)))
    account_id = det_uuid("account")
    account_key = SecretBytes(det("account key", 32))
    nonce = det("nonce recovery wrap", 12)
    wrap_key, verifier = recovery_keys(code, account_id)
    blob = _wrap_account_key_for_recovery_with_nonce(code, account_key, account_id, nonce)
    cases = [{"op": "parse", **c} for c in _human_cases(RecoveryCode, "recovery code human form")]
    cases.append({"op": "parse", **bad("a Secret Key is not a recovery code", "SecretKeyFormatError",
                                       text=SecretKey(SecretBytes(det("sk", 16))).format())})
    common = {"code": code.format(), "account_id": str(account_id)}
    cases.append({"op": "wrap", **ok("wrap key, verifier and the account key wrapped under the code",
                                     **common, wrap_key=wrap_key.reveal().hex(),
                                     verifier=verifier.reveal().hex(),
                                     account_key=account_key.reveal().hex(), nonce=nonce.hex(),
                                     blob=blob.hex())})
    tampers = aead_tampers(blob, envelope.KIND_ACCOUNT_KEY) + [
        ("a different recovery code", None),
        ("bound to another account id", None),
    ]
    for comment, tampered in tampers:
        fields = dict(common, blob=(blob if tampered is None else tampered).hex())
        if comment == "a different recovery code":
            fields["code"] = RecoveryCode(SecretBytes(det("other recovery code", 32))).format()
        if comment == "bound to another account id":
            fields["account_id"] = str(det_uuid("other account"))
        cases.append({"op": "unwrap", **bad(comment, **fields)})
    return document("Recovery code and recovery wrap (kind 0x05)", "recovery-code-kind-0x05", cases)


def export_vectors() -> dict:
    password = "export passphrase"
    params = KDF_FLOOR
    salt = det("export salt", 16)
    nonce = det("export nonce", 12)
    plaintext = b'{"items": []}'
    blob = _seal_export_with(password, plaintext, params, salt, nonce)
    cases = [ok("an export sealed at the floor parameters", password=password, params=params.to_dict(),
                salt=salt.hex(), nonce=nonce.hex(), plaintext=plaintext.hex(), blob=blob.hex())]
    param_at = 2 + 16

    def with_params(memory: int, iterations: int, parallelism: int) -> bytes:
        return blob[:param_at] + struct.pack(">III", memory, iterations, parallelism) + blob[param_at + 12 :]

    tampered = [
        ("wrong password", "CryptoError", blob, "another passphrase"),
        ("one bit flipped in the salt", "CryptoError", flip(blob, 2), password),
        ("iterations raised from 2 to 3 (still in bounds: a different key)", "CryptoError",
         with_params(19456, 3, 1), password),
        ("memory lowered below the floor: refused before derivation", "KdfParamsError",
         with_params(1024, 2, 1), password),
        ("iterations above the ceiling: refused before derivation", "KdfParamsError",
         with_params(19456, 11, 1), password),
        ("parallelism 0: refused before derivation", "KdfParamsError", with_params(19456, 2, 0), password),
        ("one bit flipped in the ciphertext", "CryptoError", flip(blob, 42), password),
        ("one bit flipped in the tag", "CryptoError", flip(blob, len(blob) - 1), password),
        ("truncated by one byte", "CryptoError", blob[:-1], password),
        ("unknown version byte", "CryptoError", bytes([2]) + blob[1:], password),
        ("kind byte of an item", "CryptoError", blob[:1] + bytes([envelope.KIND_ITEM]) + blob[2:], password),
        ("shorter than the smallest export", "CryptoError", blob[:40], password),
    ]
    for comment, error, data, pw in tampered:
        cases.append(bad(comment, error, password=pw, blob=data.hex()))
    return document("Encrypted export (kind 0x07)", "encrypted-export-kind-0x07", cases)
