"""Removing a member from a shared vault of 2,000 items: the whole key rotation, timed.

    .venv/bin/python bench/rotation.py [--items 2000] [--files 4] [--file-kib 256]
                                       [--backends sqlite,postgres] [--runs 3]

For each back end, on a fresh ``bv-server`` on loopback: four people made through the client
library (``tests.client.members``: real accounts, pinned keys, signed invitations, accepted and
re-wrapped vault keys). The owner's shared vault holds ``--items`` logins (the sample document of
``_common.py``: sealed, 1,054 bytes each) and ``--files`` attached files of ``--file-kib`` KiB.
Two members stay; one is removed with ``Sharing.remove``, the code `bv vault remove` runs, timed
end to end: the sync before it, every file downloaded, checked, opened, re-sealed under a new id
and uploaded, every item opened and re-sealed under the new key, the grants, the one rotate
request (upload, the server's transaction, the answer), the cache update and the deletion of the
old files. For ``--runs`` > 1 the removed member is invited back (and accepts) between runs.

The split comes from timing the client's HTTP calls; "client work" is the rest (decrypting,
re-sealing, signing grants, the cache). The server's CPU time for the rotate request is read from
/proc (a figure that other load on the machine inflates less than wall time). Last, one staying
member syncs: it opens its grant, re-wraps the new key and pulls the whole re-sealed vault.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections import defaultdict
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from _common import bench_server, machine, pg_database, process_tree_cpu, sample_plaintext

from tests.client.members import Member
from vault_client.items.model import Item
from vault_client.sync import SyncEngine

NETWORK_CALLS = ("sync", "members", "get_attachment", "put_attachment", "rotate", "delete_attachment",
                 "write_changes")


class CallTimer:
    """Wraps an ``Api``'s methods to add up the time spent in each kind of call."""

    def __init__(self, api: Any, server_pid: int) -> None:
        self.spent: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.rotate_bytes = 0
        self.server_cpu = 0.0
        self.overhead = 0.0  # the timer's own work (measuring the request body) inside the total
        for name in NETWORK_CALLS:
            setattr(api, name, self._wrap(name, getattr(api, name), server_pid))

    def _wrap(self, name: str, method: Any, pid: int) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            cpu = 0.0
            if name == "rotate":
                t0 = time.perf_counter()
                self.rotate_bytes = len(json.dumps(args[1]))
                self.overhead += time.perf_counter() - t0
                cpu = process_tree_cpu(pid)
            t0 = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                self.spent[name] += time.perf_counter() - t0
                self.calls[name] += 1
                if name == "rotate":
                    self.server_cpu = process_tree_cpu(pid) - cpu

        return timed


def _setup(root: Path, url: str, items: int, files: int, file_kib: int) -> tuple[Member, list[Member], Member, str]:
    owner, stay_a, stay_b, leaving = (Member(root, name, url) for name in ("owner", "stay-a", "stay-b", "leaving"))
    with owner:
        vault_id = owner.sharing.create_vault("Family")
        docs = [(Item.from_bytes(sample_plaintext(i)), None) for i in range(items)]
        ids = owner.view.save_many(vault_id, docs)
        SyncEngine(owner.cache, owner.keys, owner.api).push()
    for n in range(files):
        owner.attach(vault_id, ids[n], f"scan-{n}.pdf", bytes([n]) * (file_kib * 1024))
    for member, role in ((stay_a, "editor"), (stay_b, "viewer"), (leaving, "editor")):
        _invite(owner, member, vault_id, role)
    return owner, [stay_a, stay_b], leaving, vault_id


def _invite(owner: Member, member: Member, vault_id: str, role: str) -> None:
    with owner:
        owner.sharing.share(vault_id, member.email, role)
    with member:
        member.sharing.accept(vault_id, trust_new=True)


def run_backend(backend: str, args: argparse.Namespace, tmp: Path) -> None:
    with ExitStack() as stack:
        url = stack.enter_context(pg_database()) if backend == "postgres" else None
        server = stack.enter_context(bench_server(tmp / f"server-{backend}", database_url=url))
        t0 = time.perf_counter()
        owner, staying, leaving, vault_id = _setup(tmp / f"people-{backend}", server.url, args.items, args.files,
                                                   args.file_kib)
        setup_s = time.perf_counter() - t0
        timer = CallTimer(owner.api, server._proc.pid)  # noqa: SLF001 - the process whose CPU time we read
        totals: list[float] = []
        for run in range(args.runs):
            if run:
                _invite(owner, leaving, vault_id, "editor")
            timer.spent.clear()
            timer.calls.clear()
            timer.overhead = 0.0
            t0 = time.perf_counter()
            with owner:
                count = owner.sharing.remove(vault_id, leaving.email)
            totals.append(time.perf_counter() - t0 - timer.overhead)
        total = totals[-1]
        t0 = time.perf_counter()
        staying[0].sync()
        adopt_s = time.perf_counter() - t0
        assert staying[0].cache.vault(vault_id).key_generation == args.runs + 1

    spent = timer.spent
    sync_s = spent["sync"] + spent["members"] + spent["write_changes"]
    files_s = spent["get_attachment"] + spent["put_attachment"]
    network = sync_s + files_s + spent["rotate"] + spent["delete_attachment"]
    print(f"\n{backend}: {count} items re-sealed ({args.items} logins + the vault's name item), "
          f"{args.files} files of {args.file_kib} KiB, 2 members stay (set up in {setup_s:.1f} s)")
    if args.runs > 1:
        _line(f"remove, end to end, median of {args.runs}", statistics.median(totals),
              "runs: " + ", ".join(f"{t:.2f}" for t in totals))
    _line("remove, end to end (last run)", total, f"{total / count * 1e3:.2f} ms per item")
    _line("  sync before, member list", sync_s)
    _line(f"  files: download {timer.calls['get_attachment']}, upload {timer.calls['put_attachment']}", files_s)
    _line(f"  rotate request ({timer.rotate_bytes / 1e6:.1f} MB)", spent["rotate"],
          f"server CPU {timer.server_cpu:.2f} s")
    _line(f"  old files deleted ({timer.calls['delete_attachment']})", spent["delete_attachment"])
    _line("  client work (open, re-seal, grants, cache)", total - network)
    _line(f"a staying member's next sync ({count} items)", adopt_s)


def _line(label: str, seconds: float, extra: str = "") -> None:
    print(f"  {label:<46}{seconds:7.2f} s   {extra}".rstrip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--file-kib", type=int, default=256)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory(prefix="bv-bench-rotation-") as tmp:
        for backend in args.backends.split(","):
            run_backend(backend.strip(), args, Path(tmp))


if __name__ == "__main__":
    main()
