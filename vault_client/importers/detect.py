"""Telling the format of an export from its first bytes (``bv import auto FILE``)."""

from __future__ import annotations

import io
import re
import zipfile

from vault_client.importers.common import ImportFormatError
from vault_client.importers.csvread import decode, header_of

#: The first two bytes of a sealed Blindvault export (envelope version 1, kind 0x07).
SEALED_HEADER = b"\x01\x07"
_JSON_KEY = re.compile(r'"(format|accounts|items|encrypted|folders)"\s*:')


def detect(data: bytes) -> str:
    """The format name of ``data``, or an ``ImportFormatError`` saying none matched."""
    if data.startswith(SEALED_HEADER):
        return "blindvault"
    if data.startswith(b"PK\x03\x04"):
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except (zipfile.BadZipFile, ValueError, EOFError):
            raise ImportFormatError("this zip archive is damaged or truncated") from None
        if "export.data" in names:
            return "1pux"
        raise ImportFormatError("this zip archive is not a 1Password 1PUX export")
    text = decode(data[:65536], strict=False)
    head = text.lstrip()
    if head.startswith("<"):
        if "<KeePassFile" in head[:4096]:
            return "keepass-xml"
        raise ImportFormatError("this XML file is not a KeePass 2 XML export")
    if head.startswith("{"):
        keys = {m.group(1) for m in _JSON_KEY.finditer(head[:65536])}
        if '"blindvault-export"' in head[:4096] and "format" in keys:
            return "blindvault-json"
        if "accounts" in keys:
            return "1pux"
        if "items" in keys or "folders" in keys or "encrypted" in keys:
            return "bitwarden-json"
        raise ImportFormatError("this JSON file is not an export this client knows")
    return _csv_format(header_of(text))


def _csv_format(header: list[str]) -> str:
    columns = set(header)
    if {"login_uri", "login_username", "login_password"} <= columns:
        return "bitwarden-csv"
    if {"title", "url", "username", "password", "otpauth"} <= columns:
        return "1password-csv"
    if {"group", "title", "username", "password", "url", "notes"} <= columns:
        return "keepassxc-csv"
    if {"url", "username", "password", "httprealm", "formactionorigin"} <= columns:
        return "firefox-csv"
    if {"name", "url", "username", "password"} <= columns:
        return "chrome-csv"
    if {"title", "url", "username", "password", "notes"} <= columns:
        return "1password-csv"
    raise ImportFormatError("the format is not recognised (not a known CSV header, JSON, XML or "
                            "1PUX); name it: bv import FORMAT FILE")
