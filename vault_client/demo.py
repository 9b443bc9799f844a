"""`bv demo`: the whole story on a throw-away server, told through the real commands.

It starts `bv-server` on loopback with SQLite in a temporary directory, runs `bv` as a user would
(each command shown with its output), reads rows straight from the server's database to show what
the operator holds, and stops everything at the end. Nothing outside the temporary directory is
touched.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

DEMO_KDF = "19456,2,1"  # the floor: the demo runs many derivations; real accounts use the defaults


class DemoFailed(Exception):
    """A step of the demo did not do what it should."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_cmd() -> list[str]:
    script = Path(sys.executable).with_name("bv-server")
    return [str(script)] if script.exists() else [sys.executable, "-m", "vault_server"]


def _bv_cmd() -> list[str]:
    script = Path(sys.executable).with_name("bv")
    return [str(script)] if script.exists() else [sys.executable, "-m", "vault_client"]


class Demo:
    def __init__(self, root: Path, *, interactive: bool, say=print) -> None:
        self.root = root
        self.interactive = interactive
        self.say = say
        self.data = root / "server"
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server: subprocess.Popen | None = None

    # -- plumbing --------------------------------------------------------------------------------

    def start_server(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("BV_")}
        env.update(BV_ARGON2_TIME_COST="1", BV_ARGON2_MEMORY_KIB="8192", BV_ARGON2_PARALLELISM="1")
        self.server_env = env
        self.server = subprocess.Popen(
            [*_server_cmd(), "serve", "--host", "127.0.0.1", "--port", str(self.port), "--data-dir", str(self.data),
             "--migrate", "--log-level", "warning"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise DemoFailed("the demo server did not start")
            try:
                if httpx.get(self.url + "/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise DemoFailed("the demo server did not answer")

    def stop_server(self) -> None:
        if self.server and self.server.poll() is None:
            self.server.terminate()
            try:
                self.server.wait(10)
            except subprocess.TimeoutExpired:
                self.server.kill()

    def user(self, name: str, password: str) -> dict[str, str]:
        home = self.root / name
        home.mkdir(mode=0o700, exist_ok=True)
        pw = self.root / f"{name}.password"
        pw.write_text(password + "\n")
        os.chmod(pw, 0o600)
        env = {k: v for k, v in os.environ.items() if not k.startswith("BV_")}
        env.update(BV_HOME=str(home), BV_PASSWORD_FILE=str(pw), BV_KDF=DEMO_KDF, NO_COLOR="1")
        return env

    def set_password_file(self, env: dict[str, str], var: str, password: str) -> None:
        path = Path(env["BV_HOME"] + f".{var.lower()}")
        path.write_text(password + "\n")
        os.chmod(path, 0o600)
        env[var] = str(path)

    def bv(self, env: dict[str, str], *args: str, input: str = "", show: str | None = None,
           expect: int = 0) -> str:
        shown = show or " ".join(a if " " not in a else repr(a) for a in args)
        self.say(f"  $ bv {shown}")
        proc = subprocess.run([*_bv_cmd(), *args], input=input, env=env, capture_output=True, text=True,
                              timeout=120)
        for line in (proc.stdout + proc.stderr).rstrip().splitlines():
            self.say(f"    {line}")
        if proc.returncode != expect:
            raise DemoFailed(f"`bv {shown}` exited {proc.returncode}")
        return proc.stdout

    def pause(self) -> None:
        if self.interactive:
            input("\n  (Enter to continue) ")
        self.say("")

    def heading(self, text: str) -> None:
        self.say("")
        self.say(f"== {text} " + "=" * max(0, 70 - len(text)))

    def db_rows(self, sql: str) -> list[tuple]:
        db = next(self.data.glob("*.db"))
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            return conn.execute(sql).fetchall()

    def show_server_view(self) -> None:
        for email, salt, m, t, p in self.db_rows(
                "SELECT email, salt, kdf_memory_kib, kdf_iterations, kdf_parallelism FROM accounts"):
            self.say(f"    accounts: email={email}  salt={salt.hex()[:16]}…  argon2id m={m} t={t} p={p}")
        rows = self.db_rows("SELECT item_id, revision, blob FROM items ORDER BY seq")
        for item_id, revision, blob in rows:
            shown = "(tombstone)" if blob is None else f"{len(blob):5d} bytes  {blob[:20].hex()}…"
            self.say(f"    items:    {str(item_id)[:8]}… rev {revision}  {shown}")
        if not rows:
            self.say("    items:    (none)")

    def reset_token(self, email: str) -> str:
        proc = subprocess.run([*_server_cmd(), "reset-token", email, "--data-dir", str(self.data)],
                              env=self.server_env, capture_output=True, text=True, timeout=60)
        self.say(f"  $ bv-server reset-token {email}      # the operator, after checking it is really you")
        for line in proc.stdout.rstrip().splitlines():
            self.say(f"    {line}")
        m = re.search(r"([A-Za-z0-9_-]{40,})", proc.stdout)
        if proc.returncode != 0 or not m:
            raise DemoFailed("the operator could not issue a reset token")
        return m.group(1)

    # -- the story -------------------------------------------------------------------------------

    def run(self) -> None:
        self.heading("Blindvault demo")
        self.say(f"  A throw-away sync server is running at {self.url} (SQLite in {self.data.name}/).")
        self.say("  Everything you see below is the real `bv` talking to it.")

        self.heading("1. Alice creates an account and adds items")
        alice = self.user("alice", "correct horse battery staple")
        self.bv(alice, "account", "create", "--server", self.url, "--email", "alice@example.org",
                "--kit", str(self.root / "alice-kit.txt"))
        self.bv(alice, "add", "login", "GitHub", "--username", "alice", "--url", "https://github.com",
                input="gh-s3cret-Pa55\n", show="add login GitHub --username alice --url https://github.com   "
                                               "# password typed at a hidden prompt")
        self.bv(alice, "add", "note", "Wi-Fi", input="network: home / passphrase: blue-falcon-42\n",
                show="add note Wi-Fi < note.txt")
        self.bv(alice, "list")
        self.bv(alice, "get", "github", "--field", "password")
        self.pause()

        self.heading("2. What the server stores")
        self.say("  Rows straight from the server's database. No names, no usernames, no passwords:")
        self.show_server_view()
        self.say("  The operator sees the email, sizes (padded), counts and times. The blobs are AES-256-GCM")
        self.say("  under keys derived from Alice's password AND her Secret Key, which never left her device.")
        self.pause()

        self.heading("3. Alice changes her password: items are untouched")
        self.set_password_file(alice, "BV_NEW_PASSWORD_FILE", "new password, longer and better")
        self.bv(alice, "passwd")
        self.set_password_file(alice, "BV_PASSWORD_FILE", "new password, longer and better")
        self.bv(alice, "get", "github", "--field", "password")
        self.pause()

        self.heading("4. Alice forgets her password and has no recovery code")
        self.say("  The server cannot decrypt anything, so it cannot give her data back. It can only")
        self.say("  authorise a fresh start, and says exactly what that destroys.")
        token = self.reset_token("alice@example.org")
        self.set_password_file(alice, "BV_NEW_PASSWORD_FILE", "a brand new password")
        self.bv(alice, "account", "reset", "--server", self.url, "--email", "alice@example.org", "--token", token,
                "--yes", show="account reset --server … --email alice@example.org --token …")
        self.set_password_file(alice, "BV_PASSWORD_FILE", "a brand new password")
        self.bv(alice, "list")
        self.say("  And on the server, the old blobs are gone (deleted, not flagged):")
        self.show_server_view()
        self.pause()

        self.heading("5. Bob made a recovery code beforehand: nothing is lost")
        bob = self.user("bob", "bob's first password")
        self.bv(bob, "account", "create", "--server", self.url, "--email", "bob@example.org",
                "--kit", str(self.root / "bob-kit.txt"))
        self.bv(bob, "add", "login", "Bank", "--username", "bob", input="b4nk-Pa55\n")
        code_file = self.root / "bob-recovery.txt"
        self.bv(bob, "account", "recovery-code", "--file", str(code_file))
        self.say("  Bob forgets his password. With his Emergency Kit and the recovery code:")
        bob["BV_RECOVERY_CODE_FILE"] = str(code_file)
        self.set_password_file(bob, "BV_NEW_PASSWORD_FILE", "bob's new password")
        self.bv(bob, "account", "recover", "--kit", str(self.root / "bob-kit.txt"))
        self.set_password_file(bob, "BV_PASSWORD_FILE", "bob's new password")
        self.bv(bob, "get", "Bank", "--field", "password")

        self.heading("That is the whole promise")
        self.say("  The server holds only ciphertext. A forgotten password means lost data, unless you")
        self.say("  made a recovery code. Make one: `bv account recovery-code`.")


def run_demo(*, interactive: bool, keep: bool = False) -> None:
    root = Path(tempfile.mkdtemp(prefix="bv-demo-"))
    os.chmod(root, 0o700)
    demo = Demo(root, interactive=interactive)
    try:
        demo.start_server()
        demo.run()
    finally:
        demo.stop_server()
        if keep:
            print(f"\n  (kept {root})")
        else:
            shutil.rmtree(root, ignore_errors=True)
