"""The sync engine: delta pull with full verification, and push of queued writes with merging.

Pull: for each vault the server lists, every changed blob is opened under its vault key, item id
and revision; revisions may never go down; the manifest MAC is checked over the item list this
device would hold after applying the delta; the manifest version may never go down. Only when all
of that passes is anything written to the cache, in one transaction per vault. Any failure raises
``IntegrityFailure`` naming the vault and item, and leaves the cache as it was.

Push: each vault's queued writes are sent as one atomic batch, with a new manifest. If the server
says the write is stale, the engine pulls and merges each queued edit field by field against the
ancestor it kept (``vault_client.items.merge``), then tries again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from vault_client import crypto
from vault_client.cache import Cache, ItemRow, PendingRow, VaultRow
from vault_client.encoding import b64d, b64e
from vault_client.errors import BvError, CacheCorrupt, ExitStatus, IntegrityFailure
from vault_client.items.merge import merge
from vault_client.items.model import Item, ItemFormatError
from vault_client.keychain import Keychain
from vault_client.manifest_state import BucketRow, ManifestState
from vault_client.transport import Api, Conflict

MAX_PUSH_ATTEMPTS = 8
MAX_BATCH = 500  # items per write; the server accepts up to 1000
ROLES = ("owner", "editor", "viewer")


class PushFailed(BvError):
    """Queued changes could not be sent: the vault kept changing under them"""

    status = ExitStatus.CONFLICT
    hint = "they are kept on this device; run `bv sync` again"


@dataclass
class SyncReport:
    pulled: int = 0
    pushed: int = 0
    merged: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    removed_vaults: list[str] = field(default_factory=list)


def _fail(vault_id: str, what: str) -> IntegrityFailure:
    return IntegrityFailure(f"vault {vault_id}: {what}")


def _int(doc: dict[str, Any], key: str, vault_id: str, minimum: int = 0) -> int:
    value = doc.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum or value >= 2**63:
        raise _fail(vault_id, f"malformed field {key!r}")
    return value


def _uuid(value: Any, vault_id: str) -> str:
    try:
        return str(UUID(str(value)))
    except ValueError:
        raise _fail(vault_id, "malformed item id") from None


class SyncEngine:
    def __init__(self, cache: Cache, keychain: Keychain, api: Api) -> None:
        self.cache = cache
        self.keys = keychain
        self.api = api

    # -- pull ---------------------------------------------------------------------------------

    def pull(self, report: SyncReport | None = None) -> SyncReport:
        report = report or SyncReport()
        cursors = {v.vault_id: v.seq for v in self.cache.vaults()}
        resp = self.api.sync(cursors)
        vaults = resp.get("vaults")
        removed = resp.get("removed_vaults", [])
        if not isinstance(vaults, list) or not isinstance(removed, list):
            raise IntegrityFailure("the sync answer is malformed")
        prepared = [self._verify_vault(doc) for doc in vaults]
        listed = [_uuid(doc.get("vault_id"), "?") for doc in vaults]
        for vid in listed:
            if listed.count(vid) > 1:
                raise _fail(vid, "the vault was sent twice")
        for vid in cursors:  # a vault this device knows must be listed, or said to be removed
            if vid not in listed and vid not in removed:
                raise _fail(vid, "the server left the vault out of its answer")
        for vault_row, rows, buckets in filter(None, prepared):
            resealed = self._reseal_pending(vault_row)
            with self.cache.transaction():
                self.cache.put_vault(vault_row)
                self.cache.put_items(rows)
                self.cache.put_manifest_buckets(vault_row.vault_id, buckets)
                for p in resealed:
                    self.cache.put_pending(p)
            report.pulled += len(rows)
        for vid in removed:
            if isinstance(vid, str) and self.cache.vault(vid):
                with self.cache.transaction():
                    self.cache.drop_vault(vid)
                report.removed_vaults.append(vid)
        return report

    def _verify_vault(self, doc: Any) -> tuple[VaultRow, list[ItemRow], list[BucketRow]] | None:
        """The vault row, changed items and manifest bucket digests to store, once verified; None
        when the server reports exactly the state this device verified last (the common case of a
        sync with no news)."""
        if not isinstance(doc, dict):
            raise IntegrityFailure("the sync answer is malformed")
        vault_id = _uuid(doc.get("vault_id"), "?")
        role = doc.get("role")
        if role not in ROLES:
            raise _fail(vault_id, "unknown role")
        generation = _int(doc, "key_generation", vault_id, 1)
        seq = _int(doc, "seq", vault_id)
        manifest = doc.get("manifest")
        items = doc.get("items")
        if not isinstance(manifest, dict) or not isinstance(items, list):
            raise _fail(vault_id, "malformed vault record")
        version = _int(manifest, "version", vault_id)
        m_generation = _int(manifest, "generation", vault_id, 1)
        try:
            mac = b64d(manifest["mac"])
            raw_wrapped = doc.get("wrapped_vault_key")
            wrapped = None if raw_wrapped is None else b64d(raw_wrapped)
        except (KeyError, ValueError, TypeError):
            raise _fail(vault_id, "malformed vault record") from None

        known = self.cache.vault(vault_id)
        if known is not None:
            if generation < known.key_generation:
                raise _fail(vault_id, "the vault key was rolled back to an older generation")
            if version < known.manifest_version:
                raise _fail(vault_id, f"the vault was rolled back (manifest {version} < {known.manifest_version})")
            if version == known.manifest_version and mac != known.manifest_mac:
                raise _fail(vault_id, "the manifest changed without a new version")
            if seq < known.seq:
                raise _fail(vault_id, "the change counter went backwards")
        if m_generation != generation:
            raise _fail(vault_id, "the manifest is for another key generation")
        if (known is not None and not items and version == known.manifest_version and seq == known.seq
                and generation == known.key_generation and role == known.role
                and wrapped == known.wrapped_vault_key):
            return None  # same manifest (checked above), same items: verified when it was stored
        if wrapped is None:
            wrapped = self._adopt_pending_grant(vault_id, generation, role, doc.get("pending_grant"))
        vault_key = self.keys.open_vault_key(vault_id, generation, wrapped)

        # The manifest covers every item, but its check reads only the (id, revision, hash) entries
        # of the buckets the changed items fall in, never a blob: only changed items are decrypted.
        vid = UUID(vault_id)
        current = ManifestState(self.cache, vault_id)
        changed: dict[str, ItemRow] = {}
        for entry in items:
            row = self._verify_item(entry, vault_id, vid, vault_key, current)
            if row.item_id in changed:
                raise _fail(vault_id, f"item {row.item_id} was sent twice")
            changed[row.item_id] = row
        current.apply(changed.values())
        try:
            buckets = current.verify(vault_key, version, generation, mac, known)
        except crypto.CryptoError:
            raise _fail(vault_id, "the manifest does not match the items (an item was dropped, "
                                  "added, replayed or rolled back)") from None
        row = VaultRow(vault_id, role, generation, wrapped, seq, version, mac)
        return row, list(changed.values()), buckets

    def _reseal_pending(self, vault_row: VaultRow) -> list[PendingRow]:
        """Queued edits of a vault whose key was just rotated, sealed again under the new key.

        A queued edit and the copy it was based on were sealed under the old key; the merge at the
        next push opens them with the vault's current key, so they move to it with the vault."""
        known = self.cache.vault(vault_row.vault_id)
        if known is None or vault_row.key_generation <= known.key_generation:
            return []
        pending = self.cache.pending(vault_row.vault_id)
        if not pending:
            return []
        old_key = self.keys.vault_key(known)
        new_key = self.keys.vault_key(vault_row)
        vid = UUID(vault_row.vault_id)
        out = []
        for p in pending:
            iid = UUID(p.item_id)

            def move(blob: bytes | None, revision: int) -> bytes | None:
                if blob is None:
                    return None
                try:
                    plaintext = crypto.open_item(old_key, vid, iid, revision, blob)
                except crypto.CryptoError:
                    raise CacheCorrupt(f"queued edit of item {p.item_id} does not open") from None
                return crypto.seal_item(new_key, vid, iid, revision, plaintext)

            out.append(PendingRow(p.vault_id, p.item_id, p.base_revision, move(p.base_blob, p.base_revision),
                                  move(p.blob, p.base_revision + 1), p.queued_at))
        return out

    def _adopt_pending_grant(self, vault_id: str, generation: int, role: str, pending: Any) -> bytes:
        """A rotated vault's new key, granted by an owner: accept it only from a pinned identity,
        then re-wrap it under our own account key so the server cannot substitute it later."""
        from vault_client import contacts

        if not isinstance(pending, dict):
            raise _fail(vault_id, "no key for this vault")
        granter = contacts.by_account_id(str(pending.get("granted_by")))
        if granter is None:
            raise contacts.UnknownIdentity(f"the new key of vault {vault_id} was signed by an account this device "
                                           "has not pinned", hint="run `bv vault members VAULT` to see who, and "
                                           "`bv contacts add EMAIL NUMBER` once you have checked with them")
        try:
            grant = b64d(pending["grant"])
            vault_key = crypto.open_grant(grant, self.keys.private_keys(), self.keys.account_id, granter.bundle(),
                                          UUID(vault_id), generation, role)
        except (KeyError, TypeError, ValueError, crypto.CryptoError):
            raise _fail(vault_id, f"the new vault key does not open as granted by {granter.email}") from None
        wrapped = self.keys.wrap_vault_key(UUID(vault_id), generation, vault_key)
        self.api.store_vault_key(vault_id, generation, b64e(wrapped))
        return wrapped

    def _verify_item(self, entry: Any, vault_id: str, vid: UUID, vault_key: crypto.SecretBytes,
                     current: ManifestState) -> ItemRow:
        """Check one changed item against what this device holds (``current``: its revision and
        blob hash by item id) and open it; the row to store."""
        if not isinstance(entry, dict):
            raise _fail(vault_id, "malformed item record")
        try:
            iid = UUID(str(entry.get("item_id")))
        except ValueError:
            raise _fail(vault_id, "malformed item id") from None
        item_id = str(iid)
        revision = _int(entry, "revision", vault_id, 1)
        seq = _int(entry, "seq", vault_id)
        raw = entry.get("blob")
        try:
            blob = None if raw is None else b64d(raw)
        except ValueError:
            raise _fail(vault_id, f"item {item_id} is not valid base64") from None
        digest = None if blob is None else crypto.blob_hash(blob)
        old = current.get(item_id)
        if old is not None:
            old_revision, old_hash = old
            if revision < old_revision:
                raise _fail(vault_id, f"item {item_id} was rolled back to revision {revision} "
                                      f"(this device has seen {old_revision})")
            if revision == old_revision and digest != old_hash:
                raise _fail(vault_id, f"item {item_id} changed without a new revision")
        if blob is not None:
            try:
                plaintext = crypto.open_item(vault_key, vid, iid, revision, blob)
                Item.from_bytes(plaintext)
            except crypto.CryptoError:
                raise _fail(vault_id, f"item {item_id} revision {revision} does not decrypt: it was "
                                      "forged, swapped or moved") from None
            except ItemFormatError:
                raise _fail(vault_id, f"item {item_id} is not a valid item document") from None
        return ItemRow(vault_id, item_id, revision, blob, digest, seq)

    # -- push ---------------------------------------------------------------------------------

    def push(self, report: SyncReport | None = None) -> SyncReport:
        report = report or SyncReport()
        vault_ids = sorted({p.vault_id for p in self.cache.pending()})
        for vault_id in vault_ids:
            self._push_vault(vault_id, report)
        return report

    def _push_vault(self, vault_id: str, report: SyncReport) -> None:
        attempts = 0
        while attempts < MAX_PUSH_ATTEMPTS:
            vault = self.cache.vault(vault_id)
            if vault is None:
                return
            batch, new_rows, merged, conflicts = self._prepare(vault)
            if not batch:
                return
            vault_key = self.keys.vault_key(vault)
            state = ManifestState(self.cache, vault_id)  # reads only the changed items' buckets
            state.apply(new_rows)
            version = vault.manifest_version + 1
            mac, buckets = state.seal(vault_key, version, vault.key_generation, vault)
            body = {"base_manifest_version": vault.manifest_version,
                    "manifest": {"version": version, "mac": b64e(mac)}, "items": batch}
            result = self.api.write_changes(vault_id, body)
            if isinstance(result, Conflict):
                attempts += 1
                self.pull(report)
                continue
            seq = result.get("seq") if isinstance(result, dict) else None
            with self.cache.transaction():
                new_seq = vault.seq
                if isinstance(seq, int) and seq == vault.seq + 1:
                    new_seq = seq  # nothing else happened in between: the cursor may move
                self.cache.put_vault(VaultRow(vault_id, vault.role, vault.key_generation, vault.wrapped_vault_key,
                                              new_seq, version, mac))
                for row in new_rows:
                    self.cache.put_item(row)
                    self.cache.drop_pending(vault_id, row.item_id)
                self.cache.put_manifest_buckets(vault_id, buckets)
            report.pushed += len(new_rows)
            report.merged += merged
            report.conflicts += conflicts
            attempts = 0
        raise PushFailed(f"vault {vault_id}")

    def _prepare(self, vault: VaultRow) -> tuple[list[dict], list[ItemRow], list[str], list[str]]:
        vault_id = vault.vault_id
        vault_key = self.keys.vault_key(vault)
        vid = UUID(vault_id)
        batch: list[dict] = []
        rows: list[ItemRow] = []
        merged: list[str] = []
        conflicts: list[str] = []
        for p in self.cache.pending(vault_id, MAX_BATCH):
            cur = self.cache.item(vault_id, p.item_id)
            cur_rev = cur.revision if cur else 0
            iid = UUID(p.item_id)
            if cur_rev == p.base_revision:
                blob = p.blob
            else:
                def open_(b: bytes | None, rev: int) -> Item | None:
                    return None if b is None else Item.from_bytes(crypto.open_item(vault_key, vid, iid, rev, b))

                local = open_(p.blob, p.base_revision + 1)
                remote = open_(cur.blob if cur else None, cur_rev)
                if local is None or remote is None:
                    # A purge against a remote edit, or an edit against a remote purge: keep the edit.
                    keep = local or remote
                    if keep is remote:
                        with self.cache.transaction():
                            self.cache.drop_pending(vault_id, p.item_id)
                        continue
                    result_item = keep
                else:
                    ancestor = open_(p.base_blob, p.base_revision)
                    result = merge(ancestor, local, remote)
                    result_item = result.item
                    if result.conflicted_fields:
                        conflicts.append(p.item_id)
                merged.append(p.item_id)
                blob = crypto.seal_item(vault_key, vid, iid, cur_rev + 1, result_item.to_bytes())
            digest = None if blob is None else crypto.blob_hash(blob)
            batch.append({"item_id": p.item_id, "base_revision": cur_rev, "revision": cur_rev + 1,
                          "blob": None if blob is None else b64e(blob)})
            rows.append(ItemRow(vault_id, p.item_id, cur_rev + 1, blob, digest, cur.seq if cur else 0))
        return batch, rows, merged, conflicts

    def sync(self) -> SyncReport:
        report = self.pull()
        self.push(report)
        return report


def sync_now(account: Any, cache: Cache, keychain: Keychain, *, push: bool, quiet: bool) -> dict[str, Any]:
    """Pull (and push) with this device's session. Quiet: offline or logged out is reported in the
    result (``{"offline": True, ...}``) instead of raised, so reads and writes can go on locally."""
    from vault_client import state
    from vault_client.errors import NotLoggedIn, RateLimited, ServerError, ServerUnreachable

    try:
        token = state.load_session().token
    except NotLoggedIn:
        if quiet:
            return {"offline": True, "queued": cache.pending_count(), "reason": "logged_out"}
        raise
    with Api(account.server, token) as api:
        engine = SyncEngine(cache, keychain, api)
        try:
            report = engine.pull()
            if push:
                engine.push(report)
        except ServerUnreachable:
            if not quiet:
                raise
            return {"offline": True, "queued": cache.pending_count()}
        except (ServerError, RateLimited) as exc:
            if not quiet:
                raise
            return {"offline": True, "queued": cache.pending_count(), "reason": exc.message}
        except NotLoggedIn:
            if not quiet:
                raise
            return {"offline": True, "queued": cache.pending_count(), "reason": "logged_out"}
    return {"pulled": report.pulled, "pushed": report.pushed, "merged": report.merged,
            "conflicts": report.conflicts, "removed_vaults": report.removed_vaults}
