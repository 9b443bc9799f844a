"""The `bv` entry point. The hot path answers without loading typer, httpx or the crypto core.

`bv get`, `bv list`, `bv search` with plain arguments are answered by a running agent (`bv
unlock`), and `bv --version` and `bv generate` need no agent at all. Anything else, or any option
this small parser does not know, goes to the full typer application (``vault_client.cli.main``),
which gives the same answers and the same output, only slower to start.
"""

from __future__ import annotations

import sys


def _options(args: list[str], flags: set[str], valued: set[str]) -> tuple[list[str], dict[str, object]] | None:
    """Split simple arguments; None when anything is unusual (then typer handles it)."""
    positional: list[str] = []
    opts: dict[str, object] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            positional += args[i + 1:]
            break
        if arg.startswith("--"):
            name, eq, value = arg.partition("=")
            if name in flags and not eq:
                opts[name] = True
            elif name in valued:
                if not eq:
                    i += 1
                    if i >= len(args):
                        return None
                    value = args[i]
                opts[name] = value
            else:
                return None
        elif arg.startswith("-") and arg != "-":
            return None
        else:
            positional.append(arg)
        i += 1
    return positional, opts


def _agent_call(op: str, **args: object):
    from vault_client.agent import protocol
    from vault_client.agent.remote import call

    conn = protocol.connect()
    if conn is None:
        return None, False
    try:
        return call(conn, op, **args), True
    finally:
        conn.close()


def _get(args: list[str]) -> bool:
    parsed = _options(args, {"--json"}, {"--field"})
    if parsed is None or len(parsed[0]) != 1:
        return False
    (ref,), opts = parsed
    field = opts.get("--field")
    result, answered = _agent_call("get", ref=ref, field=field)
    if not answered:
        return False
    from vault_client.cli import output

    if field is not None:
        if opts.get("--json"):
            output.emit_json({"item_id": result["item_id"], "field": result["field"], "value": result["value"]})
        else:
            output.out(result["value"])
        return True
    from vault_client.cli.render import entry_json, show_entry
    from vault_client.entry import Entry

    entry = Entry.from_wire(result)
    if opts.get("--json"):
        output.emit_json(entry_json(entry, reveal=True))
    else:
        show_entry(entry, reveal=False)
    return True


def _listing(op: str, args: list[str]) -> bool:
    if op == "list":
        parsed = _options(args, {"--json"}, set())
        if parsed is None or parsed[0]:
            return False
        result, answered = _agent_call("entries", vault_ids=None, trashed=False)
        hits = [[doc, None] for doc in result] if answered else []
    else:
        parsed = _options(args, {"--json"}, {"--limit"})
        if parsed is None or len(parsed[0]) != 1:
            return False
        try:
            limit = int(parsed[1].get("--limit", 20))  # type: ignore[arg-type]
        except ValueError:
            return False
        hits, answered = _agent_call("search", query=parsed[0][0], limit=limit)
    if not answered:
        return False
    from vault_client.cli import output
    from vault_client.cli.render import entry_json, summary_row
    from vault_client.entry import Entry

    chosen = [(Entry.from_wire(doc), score) for doc, score in hits]
    if parsed[1].get("--json"):
        output.emit_json([entry_json(e, reveal=False) if s is None else {**entry_json(e, reveal=False), "score": s}
                          for e, s in chosen])
    else:
        output.table(["id", "type", "name", "username", "url"], [summary_row(e) for e, _ in chosen])
    return True


def main() -> None:
    args = sys.argv[1:]
    if args in (["--version"], ["version"]):
        from vault_client import __version__

        sys.stdout.write(__version__ + "\n")
        return
    handled = False
    if args and args[0] in ("get", "list", "search"):
        from vault_client.errors import BvError

        try:
            handled = _get(args[1:]) if args[0] == "get" else _listing(args[0], args[1:])
        except BvError as err:
            from vault_client.cli import output

            output.error(err)
            raise SystemExit(int(err.status)) from None
        except BrokenPipeError:
            raise SystemExit(0) from None
    if not handled:
        from vault_client.cli.main import run

        run()
