"""Malformed input: each case fails with one clear message naming the line or entry, and never a
value from the file. Whole-file failures raise; a bad entry is a problem the CLI refuses unless
--keep-going (the other entries still parse)."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest

from tests.importers.helpers import make_1pux, sample
from vault_client import importers
from vault_client.importers import ImportFormatError

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
]>
<KeePassFile><Root><Group><Name>&lol2;</Name></Group></Root></KeePassFile>
"""


def _lying_size_1pux() -> bytes:
    """A 1PUX whose central directory declares export.data smaller than it is."""
    data = bytearray(make_1pux(sample("1password-export.data.json")))
    at = data.rfind(b"PK\x01\x02")                       # the last central record: export.data
    assert data[at + 46:at + 46 + 11] == b"export.data"
    struct.pack_into("<I", data, at + 24, 100)            # uncompressed size: 100 bytes
    return bytes(data)


def _bomb_1pux() -> bytes:
    return make_1pux(b'{"accounts": []}', {"files/huge.bin": bytes(8 * 2**20)})


# (format, data, the message must contain) - whole-file failures
FILE_CASES = [
    # wrong format: a Chrome CSV named as Bitwarden CSV
    ("bitwarden-csv", sample("chrome.csv"), "line 1: this is not a Bitwarden CSV file: the header lacks"),
    # a CSV whose header misses a column
    ("firefox-csv", b'"url","username","httpRealm","formActionOrigin"\n"https://a","b",,""\n',
     "line 1: this is not a Firefox CSV file: the header lacks password"),
    # JSON given as XML
    ("keepass-xml", sample("bitwarden.json"), "line 1 column 0: not well-formed XML"),
    # truncated JSON
    ("bitwarden-json", sample("bitwarden.json")[:1500], "ends early (truncated?)"),
    # truncated CSV: the file ends inside a quoted multi-line cell
    ("chrome-csv", sample("chrome.csv")[:130], "line 2: the file ends inside a quoted cell"),
    # truncated XML
    ("keepass-xml", sample("keepass.xml")[:900], "not well-formed XML (truncated?)"),
    # truncated zip
    ("1pux", make_1pux(sample("1password-export.data.json"))[:700], "not a complete zip archive"),
    # bad encoding in a JSON file (Latin-1 bytes)
    ("bitwarden-json", b'{"items": [\n{"name": "Caf\xe9"}]}', "line 2: the file is not UTF-8 text"),
    # an encrypted Bitwarden export
    ("bitwarden-json", b'{"encrypted": true, "items": []}', "this Bitwarden export is encrypted"),
    # XML with a DTD and entities (billion laughs): refused before parsing
    ("keepass-xml", BILLION_LAUGHS, "line 2: the XML declares a DTD or an entity"),
    # a zip bomb: 8 MiB of zeros compressed about 1000-fold
    ("1pux", _bomb_1pux(), "would expand"),
    # a 1PUX member that is larger than its declared size
    ("1pux", _lying_size_1pux(), "export.data cannot be decompressed"),
    # groups nested deeper than any real database
    ("keepass-xml", b"<KeePassFile><Root>" + b"<Group><Name>g</Name>" * 5000 + b"</Group>" * 5000
     + b"</Root></KeePassFile>", "nested too deeply"),
    # our own format with the wrong version
    ("blindvault-json", b'{"format": "blindvault-export", "version": 9, "items": []}', "unsupported"),
]


def _zip_without_data() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("hello.txt", b"hi")
    return buf.getvalue()


@pytest.mark.parametrize("fmt, data, message", FILE_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(FILE_CASES)])
def test_whole_file_failures(fmt: str, data: bytes, message: str) -> None:
    with pytest.raises(ImportFormatError) as exc:
        importers.parse(fmt, data)
    assert message in str(exc.value)
    assert "\n" not in str(exc.value)


def test_a_zip_without_export_data() -> None:
    with pytest.raises(ImportFormatError, match="no export.data"):
        importers.parse("1pux", _zip_without_data())


def test_the_bomb_is_refused_before_decompression(monkeypatch: pytest.MonkeyPatch) -> None:
    bomb, opened = _bomb_1pux(), []
    real = zipfile.ZipFile.open
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda self, name, *a, **k: opened.append(str(name)) or real(self, name, *a, **k))
    with pytest.raises(ImportFormatError):
        importers.parse("1pux", bomb)
    assert opened == []


# (format, data, where, reason) - one bad entry; the good ones still parse
ENTRY_CASES = [
    # a row with a missing cell
    ("chrome-csv", b"name,url,username,password\na,https://a,u,p\nb,https://b,u\nc,https://c,u,p\n",
     "line 3", "3 cells where the header has 4"),
    # a row with bytes that are not UTF-8
    ("chrome-csv", b"name,url,username,password\na,https://a,u,p\nb,https://b,u,p\xe9\nc,https://c,u,p\n",
     "line 3", "not UTF-8 text"),
    # an unknown Bitwarden item type
    ("bitwarden-json", b'{"items": [{"type": 1, "name": "a", "login": {}}, {"type": 42, "name": "b"},'
                       b' {"type": 2, "name": "c"}]}', "item 2", "unknown item type"),
    # a Bitwarden item whose fields are not a list
    ("bitwarden-json", b'{"items": [{"type": 1, "name": "a"}, {"type": 2, "name": "b", "fields": 7},'
                       b' {"type": 2, "name": "c"}]}', "item 2", "fields has the wrong type"),
    # an item name over the length limit
    ("chrome-csv", b"name,url,username,password\na,https://a,u,p\n" + b"x" * 1001 + b",https://b,u,p\nc,,u,p\n",
     "line 3", "longer than 1000 characters"),
    # a raw KDBX XML with values encrypted by the database
    ("keepass-xml", b"<KeePassFile><Root><Group><Name>r</Name><Entry><String><Key>Title</Key><Value>a</Value></String></Entry>"
                    b"<Entry><String><Key>Password</Key><Value Protected=\"True\">c2VjcmV0</Value></String></Entry>"
                    b"<Entry><String><Key>Title</Key><Value>c</Value></String></Entry></Group></Root></KeePassFile>",
     "entry 2", "encrypted by the database"),
    # an unknown Bitwarden CSV type
    ("bitwarden-csv", b"folder,favorite,type,name,notes,fields,login_uri,login_username,login_password,login_totp\n"
                      b",,login,a,,,,,,\n,,wallet,b,,,,,,\n,,note,c,,,,,,\n", "line 3", "unknown item type"),
]


@pytest.mark.parametrize("fmt, data, where, reason", ENTRY_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(ENTRY_CASES)])
def test_one_bad_entry(fmt: str, data: bytes, where: str, reason: str) -> None:
    result = importers.parse(fmt, data)
    assert [p.where for p in result.problems] == [where]
    assert reason in result.problems[0].reason
    assert len(result.items) == 2


def test_messages_never_hold_values() -> None:
    secret = b"hunter2-secret-value"
    result = importers.parse("chrome-csv", b"name,url,username,password\nb,https://b," + secret + b"\n")
    assert secret.decode() not in str(result.problems)
    with pytest.raises(ImportFormatError) as exc:
        importers.parse("bitwarden-json", b'{"items": [{"password": "' + secret + b'"')
    assert secret.decode() not in str(exc.value)


def test_unknown_format_name() -> None:
    with pytest.raises(ImportFormatError, match="unknown format"):
        importers.parse("lastpass", b"")


def test_unrecognised_auto_detection() -> None:
    with pytest.raises(ImportFormatError, match="not recognised"):
        importers.detect(b"just,some,columns\n1,2,3\n")
