"""Importers: read the exports of other password managers (and our own) into items.

Pure code: each format module turns bytes into a ``ParseResult`` (items with where they came
from, problems, skipped parts, counts). No files, keys, terminal or network: the CLI reads the
file, opens a sealed export, checks for duplicates against the vault and saves.

    result = parse("bitwarden-json", data)       # or parse(detect(data), data)
"""

from __future__ import annotations

from collections.abc import Callable

from vault_client.importers import (
    bitwarden_csv,
    bitwarden_json,
    chrome_csv,
    firefox_csv,
    keepass_xml,
    keepassxc_csv,
    native,
    onepassword_csv,
    onepux,
)
from vault_client.importers.common import (
    EntryError,
    ImportFormatError,
    Parsed,
    ParseResult,
    Problem,
    Skipped,
)
from vault_client.importers.dedupe import Deduper, content_key
from vault_client.importers.detect import SEALED_HEADER, detect

#: Format name -> (parser, what it reads). "blindvault" (sealed) is opened by the caller first.
FORMATS: dict[str, tuple[Callable[[bytes], ParseResult], str]] = {
    "bitwarden-json": (bitwarden_json.parse, "Bitwarden JSON export (unencrypted)"),
    "bitwarden-csv": (bitwarden_csv.parse, "Bitwarden CSV export"),
    "1pux": (onepux.parse, "1Password 1PUX export"),
    "1password-csv": (onepassword_csv.parse, "1Password CSV export"),
    "keepassxc-csv": (keepassxc_csv.parse, "KeePassXC CSV export"),
    "keepass-xml": (keepass_xml.parse, "KeePass 2 XML export"),
    "chrome-csv": (chrome_csv.parse, "Chrome, Chromium or Edge password CSV"),
    "firefox-csv": (firefox_csv.parse, "Firefox password CSV"),
    "blindvault-json": (native.parse, "Blindvault plain JSON export (bv export --format json)"),
}
SEALED_FORMAT = "blindvault"
FORMAT_NAMES = (*FORMATS, SEALED_FORMAT, "auto")


def parse(format: str, data: bytes) -> ParseResult:
    """Parse ``data`` as ``format`` (a key of ``FORMATS``). Raises ``ImportFormatError``."""
    try:
        parser = FORMATS[format][0]
    except KeyError:
        raise ImportFormatError(f"unknown format {format[:40]!r} (formats: {', '.join(FORMAT_NAMES)})") from None
    return parser(data)


__all__ = [
    "FORMATS", "FORMAT_NAMES", "SEALED_FORMAT", "SEALED_HEADER", "Deduper", "EntryError",
    "ImportFormatError", "ParseResult", "Parsed", "Problem", "Skipped", "content_key", "detect",
    "parse",
]
