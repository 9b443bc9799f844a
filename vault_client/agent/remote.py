"""The CLI's side of the agent: the same calls as ``VaultView``, answered by the agent.

With an agent running, the CLI process never derives or holds a key: it receives decrypted items
for display and sends item documents to be sealed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vault_client import errors
from vault_client.agent import protocol

if TYPE_CHECKING:
    from vault_client.entry import Entry
    from vault_client.items.model import Item


# Modules that define BvError subclasses besides vault_client.errors (looked up only on an error).
_ERROR_MODULES = ("vault_client.contacts", "vault_client.rotation", "vault_client.sharing", "vault_client.sync",
                  "vault_client.credentials", "vault_client.export")


def _error_class(name: str) -> type[errors.BvError]:
    import importlib

    for module in (errors, *_ERROR_MODULES):
        mod = importlib.import_module(module) if isinstance(module, str) else module
        cls = getattr(mod, name, None)
        if isinstance(cls, type) and issubclass(cls, errors.BvError):
            return cls
    return errors.BvError


def raise_remote(error: dict[str, Any]) -> None:
    cls = _error_class(str(error.get("type")))
    raise cls(error.get("detail"), hint=error.get("hint"))


def call(conn: protocol.Connection, op: str, on_progress: Any = None, **args: Any) -> Any:
    try:
        doc = conn.request(op, on_progress=on_progress, **args)
    except (OSError, protocol.ProtocolError) as exc:
        raise errors.BvError(f"the agent did not answer ({exc.__class__.__name__})",
                             hint="run `bv lock` and `bv unlock` again") from None
    if not doc.get("ok"):
        raise_remote(doc.get("error") or {})
    return doc.get("result")


def _entry(doc: dict[str, Any]) -> Entry:
    from vault_client.entry import Entry

    return Entry.from_wire(doc)


class RemoteView:
    def __init__(self, conn: protocol.Connection) -> None:
        self.conn = conn

    def entries(self, vault_ids=None, *, trashed: bool | None = False) -> list[Entry]:
        docs = call(self.conn, "entries", vault_ids=list(vault_ids) if vault_ids else None, trashed=trashed)
        return [_entry(d) for d in docs]

    def find(self, ref: str, vault_ids=None, *, trashed: bool | None = False) -> Entry:
        doc = call(self.conn, "find", ref=ref, vault_ids=list(vault_ids) if vault_ids else None, trashed=trashed)
        return _entry(doc)

    def search(self, query: str, limit: int = 20) -> list[tuple[Entry, float]]:
        return [(_entry(d), s) for d, s in call(self.conn, "search", query=query, limit=limit)]

    def save(self, vault_id: str, item: Item, item_id: str | None = None) -> str:
        return call(self.conn, "save", vault_id=vault_id, item=item.to_dict(), item_id=item_id)

    def save_many(self, vault_id: str, items: list[tuple[Item, str | None]]) -> list[str]:
        return call(self.conn, "save_many", vault_id=vault_id,
                    items=[[item.to_dict(), item_id] for item, item_id in items])

    def purge(self, vault_id: str, item_id: str) -> None:
        call(self.conn, "purge", vault_id=vault_id, item_id=item_id)

    def conflicted(self) -> list[Entry]:
        return [e for e in self.entries(trashed=None) if e.item.conflicts]

    def vault_names(self) -> dict[str, str]:
        return call(self.conn, "vault_names")


class RemoteSharing:
    """``vault_client.sharing.Sharing``'s methods, run by the agent."""

    def __init__(self, conn: protocol.Connection) -> None:
        self.conn = conn

    def __getattr__(self, method: str):
        def invoke(progress: Any = None, **args: Any) -> Any:
            return call(self.conn, "sharing", on_progress=progress, method=method, args=args)

        return invoke
