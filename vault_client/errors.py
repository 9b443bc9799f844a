"""Every error the `bv` client shows a user, and the exit statuses.

Each class's docstring is the message the user sees (magic-wormhole style); a subclass may add
detail with ``BvError(detail=...)`` and a hint. The CLI catches ``BvError`` in exactly one place
(``vault_client.cli.output.fail``) and prints ``bv: error: ...`` and ``bv: hint: ...``.
Messages never contain secrets: details are built from ids, names of fields, and server codes.
"""

from __future__ import annotations

import enum


class ExitStatus(enum.IntEnum):
    OK = 0
    ERROR = 1
    USAGE = 2
    NOT_FOUND = 3
    AUTH = 4
    INTEGRITY = 5
    NETWORK = 6
    CONFLICT = 7
    CANCELLED = 8


class BvError(Exception):
    """Something went wrong"""

    status: ExitStatus = ExitStatus.ERROR
    hint: str | None = None

    def __init__(self, detail: str | None = None, *, hint: str | None = None) -> None:
        self.detail = detail
        if hint is not None:
            self.hint = hint
        super().__init__(self.message)

    @property
    def message(self) -> str:
        base = (self.__doc__ or "").strip().splitlines()[0]
        return f"{base}: {self.detail}" if self.detail else base


class UsageError(BvError):
    """Invalid use"""

    status = ExitStatus.USAGE


class NotSetUp(BvError):
    """No account is set up on this device"""

    status = ExitStatus.USAGE
    hint = "run `bv account create --server URL --email EMAIL` or `bv login --kit FILE`"


class AlreadySetUp(BvError):
    """An account is already set up on this device"""

    status = ExitStatus.USAGE
    hint = "run `bv logout` first, or use another BV_HOME"


class NotLoggedIn(BvError):
    """This device is not logged in to the server"""

    status = ExitStatus.AUTH
    hint = "run `bv login` to sign in again"


class WrongPassword(BvError):
    """Wrong password or Secret Key"""

    status = ExitStatus.AUTH
    hint = "check the password and the Secret Key on your Emergency Kit; nothing was changed"


class BadSecretKey(BvError):
    """That is not a valid Secret Key (a character is mistyped or missing)"""

    status = ExitStatus.USAGE
    hint = "copy it again from your Emergency Kit; it starts with BV1-"


class PasswordUnavailable(BvError):
    """No password was given"""

    status = ExitStatus.USAGE
    hint = "type it at the prompt, or set BV_PASSWORD_FILE to a file holding it"


class InsecureServer(BvError):
    """Refusing a plain http:// server that is not on this machine"""

    status = ExitStatus.USAGE
    hint = "use https://, or pass --insecure if you really mean to send ciphertext and tokens in the clear"


class ServerUnreachable(BvError):
    """The server could not be reached"""

    status = ExitStatus.NETWORK
    hint = "check the server address and your connection; reads still work from the local cache"


class ServerError(BvError):
    """The server refused the request"""

    status = ExitStatus.ERROR


class InvalidResetToken(BvError):
    """The reset token is not valid: it is mistyped, already used or expired"""

    status = ExitStatus.AUTH
    hint = "ask the server's operator for a new one (`bv-server reset-token EMAIL`)"


class RateLimited(BvError):
    """Too many attempts; the server asks to wait"""

    status = ExitStatus.AUTH


class IntegrityFailure(BvError):
    """The server sent data that fails verification; nothing from it was stored or shown"""

    status = ExitStatus.INTEGRITY
    hint = "your local copy is unchanged; this can mean the server is faulty or hostile"


class KdfRefused(BvError):
    """The server asked for key-derivation settings this device refuses"""

    status = ExitStatus.INTEGRITY
    hint = "nothing was sent; weakened settings can mean the server is hostile"


class ItemNotFound(BvError):
    """No item matches"""

    status = ExitStatus.NOT_FOUND
    hint = "run `bv list` or `bv search QUERY` to find it"


class AmbiguousItem(BvError):
    """Several items match"""

    status = ExitStatus.USAGE
    hint = "use the item id shown by `bv search`"


class FieldNotFound(BvError):
    """The item has no such field"""

    status = ExitStatus.NOT_FOUND


class CacheCorrupt(BvError):
    """The local cache is damaged and was not used"""

    status = ExitStatus.ERROR
    hint = "run `bv sync --rebuild` to fetch a fresh copy from the server; the damaged file is kept"


class StateCorrupt(BvError):
    """The account settings on this device are damaged"""

    status = ExitStatus.ERROR
    hint = "run `bv login --kit FILE` with a fresh BV_HOME; the damaged file is kept"


class Cancelled(BvError):
    """Cancelled; nothing was changed"""

    status = ExitStatus.CANCELLED


class ClipboardUnavailable(BvError):
    """No clipboard is available on this system"""

    hint = "install wl-clipboard, xclip or xsel, or print the value with --field"
