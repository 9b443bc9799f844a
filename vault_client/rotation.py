"""Vault key rotation: a new key, every item and every attached file re-sealed, one atomic update.

``rotate`` is what ``bv vault remove`` runs once it knows who stays:

1. Open every item of the vault with the old key. Item documents that name attached files (in
   their current version or in their history) are parsed.
2. Re-seal each attached file: download it, check its SHA-256 against the item's record, open it
   with its old file key, seal it under a new random file key with a NEW attachment id, upload it.
   A file the server no longer has (deleted with ``bv attach --remove --purge``) keeps its record.
3. Seal every item under the new vault key at revision + 1, with the new records in place of the
   old ones (same file name and size, new id, hash and key), and send the whole vault in ONE
   ``POST /v1/vaults/{id}/rotate``.
4. After the server has taken it: delete the old blobs. A removed member knows the old file keys
   (they are in the item documents it could read), so an old blob left behind stays readable to
   it; deletions are retried and, if some still fail, reported (``OldFilesLeft``).
   If the server refused (409): the new blobs are deleted and nothing else has changed.

An interruption can come at any point. Until the rotate request commits, the old generation is
the vault: the server changes nothing before its one transaction, so every member goes on with the
old key. Beyond that, only blobs are at stake, and a journal (``rotations/VAULT_ID.NAME.json`` in
the state directory, ids only) records which blobs this rotation replaces and which it uploaded,
before any is uploaded. ``settle`` finishes such journals: after a pull it deletes each recorded
blob that no item document of the vault names any more. That rule needs no knowledge of whether
the rotation committed: if it did, the old blobs are unreferenced; if not, the new ones are.
When the rotate answer is lost (the server died, the connection dropped), ``rotate`` settles at
once if the server answers; otherwise ``RotationUncertain`` asks for the same command again,
which settles first.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from vault_client import attachments, crypto, paths
from vault_client.cache import Cache, ItemRow, VaultRow
from vault_client.encoding import b64d, b64e
from vault_client.errors import BvError, ExitStatus, IntegrityFailure, ServerError, StateCorrupt
from vault_client.items.model import AttachmentRef, Item
from vault_client.keychain import Keychain
from vault_client.sync import SyncEngine
from vault_client.transport import Api, Conflict

JOURNAL_DIR = "rotations"
DELETE_ATTEMPTS = 3
DELETE_BACKOFF = 0.5  # seconds, times the attempt number
_ATTACHMENTS_KEY = b'"attachments":'  # only a document's own key has these unescaped quotes

Progress = Callable[[int, int], None]


class RotationConflict(BvError):
    """The vault changed while its key was being rotated; nothing was changed"""

    status = ExitStatus.CONFLICT
    hint = "run the command again"


class RotationUncertain(BvError):
    """The server did not confirm the new vault key: the rotation may or may not have happened"""

    status = ExitStatus.NETWORK
    hint = ("until it has, the old key stays in use for everyone; run the same `bv vault remove` "
            "again when the server answers, to finish or undo it")


class OldFilesLeft(BvError):
    """The vault key was rotated, but old copies of attached files could not be deleted from the server"""

    status = ExitStatus.NETWORK
    hint = "a removed member could still read those copies; run the same `bv vault remove` again to delete them"


# -- the journal ---------------------------------------------------------------------------------


@dataclass
class Journal:
    """What one rotation of a vault put on, or must take off, the server (ids only, no keys).
    Each rotation has its own file, so one left over from an earlier attempt is never overwritten."""

    vault_id: str
    generation: int  # the generation the rotation creates
    removed: list[str]  # account ids it removes
    items: int  # items it re-seals
    old: list[str] = field(default_factory=list)  # attachment ids it replaces
    new: list[str] = field(default_factory=list)  # attachment ids it uploaded
    name: str = field(default_factory=lambda: uuid4().hex)

    @property
    def path(self) -> Path:
        return paths.state_dir() / JOURNAL_DIR / f"{UUID(self.vault_id)}.{self.name}.json"

    @classmethod
    def all(cls, vault_id: str) -> list[Journal]:
        """The journals of ``vault_id`` on this device (usually none)."""
        found = []
        for path in sorted((paths.state_dir() / JOURNAL_DIR).glob(f"{UUID(vault_id)}.*.json")):
            try:
                journal = cls(**json.loads(path.read_bytes()))
            except (ValueError, TypeError) as exc:
                raise StateCorrupt(f"{JOURNAL_DIR}/{path.name}") from exc
            if journal.path != path:
                raise StateCorrupt(f"{JOURNAL_DIR}/{path.name}")
            found.append(journal)
        return found

    def save(self) -> None:
        paths.write_private(self.path, json.dumps(dataclasses.asdict(self)).encode())

    def drop(self) -> None:
        self.path.unlink(missing_ok=True)


# -- rotating ------------------------------------------------------------------------------------


@dataclass
class _Counter:
    progress: Progress | None
    total: int
    done: int = 0

    def step(self) -> None:
        self.done += 1
        if self.progress:
            self.progress(self.done, self.total)


def rotate(cache: Cache, keys: Keychain, api: Api, vault: VaultRow, remove: list[str],
           grants_for: list[tuple[crypto.PublicBundle, str]], progress: Progress | None = None) -> int:
    """Rotate ``vault``'s key, removing the accounts ``remove`` and granting the new key to each
    ``(bundle, role)`` of ``grants_for``; returns the number of items re-sealed. ``progress(done,
    total)`` counts attached files and items (total = files + items). Raises
    ``RotationConflict`` (nothing changed), ``RotationUncertain`` or ``OldFilesLeft`` (above)."""
    vid = UUID(vault.vault_id)
    old_key = keys.vault_key(vault)
    rows = cache.items(vault.vault_id)
    plaintexts = {r.item_id: crypto.open_item(old_key, vid, UUID(r.item_id), r.revision, r.blob)
                  for r in rows if r.blob is not None}
    documents = {item_id: Item.from_bytes(text) for item_id, text in plaintexts.items() if _ATTACHMENTS_KEY in text}
    files = _files(documents.values())
    counter = _Counter(progress, len(files) + len(rows))
    if progress:
        progress(0, counter.total)

    journal = Journal(vault.vault_id, vault.key_generation + 1, list(remove), len(rows))
    journal.save()
    new_key = crypto.new_symmetric_key()
    try:
        replaced = _reseal_files(api, vault.vault_id, files, journal, counter)
        for item_id, item in documents.items():
            if _renumber(item, replaced):
                plaintexts[item_id] = item.to_bytes()
        body, new_rows = _request(keys, vault, rows, plaintexts, new_key, remove, grants_for, counter)
    except Exception:
        _delete_new(api, journal)
        raise
    try:
        result = api.rotate(vault.vault_id, body)
    except BvError as exc:
        return _after_lost_answer(cache, keys, api, journal, exc)
    if isinstance(result, Conflict):
        _delete_new(api, journal)
        raise RotationConflict()
    _store(cache, vault, body, new_rows, result)
    _delete_old(api, journal)
    return len(rows)


def _files(documents: Any) -> list[tuple[AttachmentRef, str]]:
    """Every attached file the documents name, once per id, with the item name (for messages)."""
    seen: dict[str, tuple[AttachmentRef, str]] = {}
    for item in documents:
        for version in [item, *item.history]:
            for ref in version.attachments:
                seen.setdefault(ref.id, (ref, item.name))
    return list(seen.values())


def _reseal_files(api: Api, vault_id: str, files: list[tuple[AttachmentRef, str]], journal: Journal,
                  counter: _Counter) -> dict[str, AttachmentRef]:
    """Upload each file under a new id and key; old id -> the new record (files the server no
    longer has are left out)."""
    vid = UUID(vault_id)
    replaced: dict[str, AttachmentRef] = {}
    for ref, item_name in files:
        try:
            data = attachments.fetch(api, vault_id, ref)
        except ServerError as exc:
            if not (exc.detail or "").startswith("not_found"):
                raise
            counter.step()  # already gone from the server: nothing to re-seal or to delete
            continue
        except IntegrityFailure:
            raise IntegrityFailure(
                f"the file {ref.name!r} attached to {item_name!r} is not the one the item records (the server "
                "changed or damaged it); nothing was rotated",
                hint="remove that attachment (`bv attach ITEM --remove FILE`), then remove the member again") from None
        new_id, file_key = uuid4(), crypto.new_symmetric_key()
        blob = crypto.seal_attachment(file_key, vid, new_id, data)
        journal.old.append(ref.id)
        journal.new.append(str(new_id))
        journal.save()  # before the upload: a blob on the server is always in the journal
        api.put_attachment(vault_id, str(new_id), blob)
        replaced[ref.id] = AttachmentRef(str(new_id), ref.name, ref.size, crypto.blob_hash(blob).hex(),
                                         b64e(file_key.reveal()))
        counter.step()
    return replaced


def _renumber(item: Item, replaced: dict[str, AttachmentRef]) -> bool:
    """Point ``item``'s records (current and history) at the re-sealed files; whether any changed.
    A version keeps its own file name for the file."""
    changed = False
    for version in [item, *item.history]:
        refs = []
        for ref in version.attachments:
            new = replaced.get(ref.id)
            refs.append(ref if new is None else dataclasses.replace(new, name=ref.name))
            changed |= new is not None
        version.attachments = refs
    return changed


def _request(keys: Keychain, vault: VaultRow, rows: list[ItemRow], plaintexts: dict[str, bytes],
             new_key: crypto.SecretBytes, remove: list[str], grants_for: list[tuple[crypto.PublicBundle, str]],
             counter: _Counter) -> tuple[dict[str, Any], list[ItemRow]]:
    """The rotate request body and the item rows this device stores once it is taken."""
    vid = UUID(vault.vault_id)
    generation = vault.key_generation + 1
    batch, new_rows = [], []
    for row in rows:
        text = plaintexts.get(row.item_id)
        blob = None if text is None else crypto.seal_item(new_key, vid, UUID(row.item_id), row.revision + 1, text)
        batch.append({"item_id": row.item_id, "base_revision": row.revision, "revision": row.revision + 1,
                      "blob": None if blob is None else b64e(blob)})
        new_rows.append(ItemRow(vault.vault_id, row.item_id, row.revision + 1, blob,
                                None if blob is None else crypto.blob_hash(blob), row.seq))
        counter.step()
    version = vault.manifest_version + 1
    mac = crypto.manifest_mac(new_key, vid, version, generation,
                              [(UUID(r.item_id), r.revision, r.hash) for r in new_rows])
    grants = [{"account_id": str(b.account_id),
               "grant": b64e(crypto.seal_grant(new_key, vid, generation, role, b, keys.private_keys(),
                                               keys.account_id))} for b, role in grants_for]
    body = {"remove": list(remove), "new_generation": generation, "base_manifest_version": vault.manifest_version,
            "manifest": {"version": version, "mac": b64e(mac)}, "items": batch,
            "own_wrapped_vault_key": b64e(keys.wrap_vault_key(vid, generation, new_key)), "grants": grants}
    return body, new_rows


def _store(cache: Cache, vault: VaultRow, body: dict[str, Any], new_rows: list[ItemRow], result: Any) -> None:
    """Keep what the server took. The sync cursor moves only if nothing else happened in between."""
    seq = result.get("seq") if isinstance(result, dict) else None
    new_seq = seq if isinstance(seq, int) and seq == vault.seq + 1 else vault.seq
    if new_seq != vault.seq:
        new_rows = [dataclasses.replace(r, seq=new_seq) for r in new_rows]
    with cache.transaction():
        cache.put_vault(VaultRow(vault.vault_id, vault.role, body["new_generation"],
                                 b64d(body["own_wrapped_vault_key"]), new_seq, body["manifest"]["version"],
                                 b64d(body["manifest"]["mac"])))
        cache.put_items(new_rows)


def _after_lost_answer(cache: Cache, keys: Keychain, api: Api, journal: Journal, exc: BvError) -> int:
    """The rotate request failed without a clear refusal: find out from the server what happened."""
    try:
        done = settle(cache, keys, api, journal.vault_id)
    except OldFilesLeft:
        raise
    except BvError:
        raise RotationUncertain(exc.detail) from None
    if not any(j.name == journal.name for j in done):
        raise exc
    return journal.items


# -- cleaning up ---------------------------------------------------------------------------------


def settle(cache: Cache, keys: Keychain, api: Api, vault_id: str) -> list[Journal]:
    """Finish the journals of earlier rotations of ``vault_id``, if any: pull, then delete every
    blob they recorded that no item of the vault names. Returns the journals whose rotation took
    effect. ``OldFilesLeft`` if replaced blobs could not be deleted."""
    journals = Journal.all(vault_id)
    if not journals:
        return []
    SyncEngine(cache, keys, api).pull()
    vault = cache.vault(vault_id)
    if vault is None:  # no longer a member: nothing here is ours to delete
        for journal in journals:
            journal.drop()
        return []
    named = referenced_files(cache, keys, vault)
    done, left = [], 0
    for journal in journals:
        if vault.key_generation >= journal.generation and not named.intersection(journal.old):
            done.append(journal)
        journal.old = [i for i in journal.old if i not in named]
        journal.new = [i for i in journal.new if i not in named]
        left += _finish(api, journal)
    if left:
        raise OldFilesLeft(f"{left} file(s) in vault {vault_id}")
    return done


def referenced_files(cache: Cache, keys: Keychain, vault: VaultRow) -> set[str]:
    """Ids of every attached file an item of ``vault`` names, in its current version or history."""
    vid = UUID(vault.vault_id)
    key = keys.vault_key(vault)
    names: set[str] = set()
    for row in cache.items(vault.vault_id):
        if row.blob is None:
            continue
        text = crypto.open_item(key, vid, UUID(row.item_id), row.revision, row.blob)
        if _ATTACHMENTS_KEY in text:
            item = Item.from_bytes(text)
            names.update(ref.id for version in [item, *item.history] for ref in version.attachments)
    return names


def _delete_new(api: Api, journal: Journal) -> None:
    """The rotation did not happen: take its uploads off the server (best effort; what fails stays
    in the journal for the next ``settle``). Nothing anyone else can read is left either way."""
    journal.old = []
    _finish(api, journal)


def _delete_old(api: Api, journal: Journal) -> None:
    """The rotation happened: delete the blobs it replaced. ``OldFilesLeft`` if some stay."""
    journal.new = []
    left = _finish(api, journal)
    if left:
        raise OldFilesLeft(f"{left} file(s) in vault {journal.vault_id}")


def _finish(api: Api, journal: Journal) -> int:
    """Delete every blob the journal still lists; keep the journal only for those that remain.
    Returns how many replaced (old) blobs are still on the server after the retries."""
    journal.old = _delete(api, journal.vault_id, journal.old)
    journal.new = _delete(api, journal.vault_id, journal.new)
    if journal.old or journal.new:
        journal.save()
    else:
        journal.drop()
    return len(journal.old)


def _delete(api: Api, vault_id: str, ids: list[str]) -> list[str]:
    """Delete each blob, retrying; the ids still on the server afterwards (gone already counts as deleted)."""
    left = []
    for attachment_id in ids:
        for attempt in range(1, DELETE_ATTEMPTS + 1):
            try:
                api.delete_attachment(vault_id, attachment_id)
                break
            except ServerError as exc:
                if (exc.detail or "").startswith("not_found"):
                    break
            except BvError:
                pass
            if attempt == DELETE_ATTEMPTS:
                left.append(attachment_id)
            else:
                time.sleep(DELETE_BACKOFF * attempt)
    return left
