"""KeePass 2 XML export (KeePass: File > Export > KeePass XML (2.x); KeePassXC:
``keepassxc-cli export --format xml``).

Shape (the KeePass 2 XML schema)::

    <KeePassFile><Meta>... <RecycleBinUUID>...</RecycleBinUUID></Meta>
      <Root><Group><UUID/><Name>Database</Name>
        <Entry><UUID/><Tags>a;b</Tags><Times><CreationTime>2017-01-01T00:00:00Z</CreationTime>
               <LastModificationTime/><ExpiryTime/><Expires>False</Expires></Times>
          <String><Key>Title</Key><Value>...</Value></String>   (also UserName, Password, URL,
          <String><Key>PIN</Key><Value ProtectInMemory="True">...</Value></String>  Notes, otp...)
          <Binary><Key>file.txt</Key><Value Ref="0"/></Binary>
          <History><Entry>...an older version of the entry...</Entry></History>
        </Entry><Group>...</Group></Group></Root></KeePassFile>

The top group's name is dropped from folders; entries of the recycle bin go to the trash;
strings marked ``ProtectInMemory`` become concealed custom fields; ``otp`` (KeePassXC) or ``TOTP
Seed`` (the KeePass TOTP plugin) becomes the TOTP; ``KP2A_URL*`` and ``URL_*`` strings are
more URLs; passwords found only in ``History`` become "previous password (DATE)" fields.
Attachments are reported as skipped.

The parser is bounded: a document that declares a DTD or an entity is refused before parsing
(no entity expansion, no external fetches), and so is one that is not UTF-8.
"""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

from vault_client.importers.common import (
    MAX_INPUT_BYTES,
    Draft,
    EntryError,
    ImportFormatError,
    ParseResult,
    iso_timestamp,
    utc_stamp,
)

NAME = "keepass-xml"
LABEL = "KeePass 2 XML"
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_STANDARD = {"Title", "UserName", "Password", "URL", "Notes"}
_TOTP_KEYS = ("otp", "TOTP Seed", "TimeOtp-Secret-Base32")
_TOTP_SETTINGS = {"TOTP Settings"}
_EXTRA_URL = re.compile(r"^(KP2A_URL(_\d+)?|URL_\d+)$")
_EPOCH_0001 = datetime(1, 1, 1, tzinfo=timezone.utc)


def check_safe(data: bytes) -> None:
    """Refuse what a bounded parser must not meet: DTDs, entities, other encodings, huge files."""
    if len(data) > MAX_INPUT_BYTES:
        raise ImportFormatError(f"the file is larger than {MAX_INPUT_BYTES // 2**20} MiB")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFormatError("this XML file is UTF-16; export it again as UTF-8")
    match = _DTD.search(data)
    if match:
        line = data[:match.start()].count(b"\n") + 1
        raise ImportFormatError("the XML declares a DTD or an entity, which is refused (entity "
                                "expansion could exhaust memory)", f"line {line}")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise ImportFormatError("the file is not UTF-8 text (an undecodable byte)", f"line {line}") from None


def parse(data: bytes) -> ParseResult:
    check_safe(data)
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        line, column = exc.position
        raise ImportFormatError("not well-formed XML (truncated?)", f"line {line} column {column}") from None
    top = root.find("Root/Group") if root.tag == "KeePassFile" else None
    if top is None:
        raise ImportFormatError(f"this is not a {LABEL} export (no KeePassFile/Root/Group)")
    result = ParseResult(NAME)
    result.not_carried.update({"KeePass ids", "icons", "colors", "auto-type settings", "usage counts"})
    meta = root.find("Meta")
    recycle = (meta.findtext("RecycleBinUUID") or "").strip() if meta is not None else ""
    try:
        _walk(top, [], recycle, False, result, [0], top=True)
    except RecursionError:
        raise ImportFormatError("groups are nested too deeply") from None
    return result


def _walk(group: ET.Element, path: list[str], recycle: str, trashed: bool, result: ParseResult,
          counter: list[int], *, top: bool = False) -> None:
    """Entries and subgroups in document order. The top group's name is not part of folders,
    nor is the recycle bin's (its entries go to the trash instead)."""
    name = (group.findtext("Name") or "").strip() or "group"
    is_bin = bool(recycle) and (group.findtext("UUID") or "").strip() == recycle
    here = path if top or is_bin else path + [name]
    if (group.findtext("Notes") or "").strip():
        result.skip(f"group {'/'.join(here) or name!r}", "group notes",
                    "folders have no notes; copy them into an item if you need them")
    for child in group:
        if child.tag == "Entry":
            _entry_into(child, here, trashed or is_bin, result, counter)
        elif child.tag == "Group":
            _walk(child, here, recycle, trashed or is_bin, result, counter)


def _entry_into(entry: ET.Element, path: list[str], trashed: bool, result: ParseResult,
                counter: list[int]) -> None:
    counter[0] += 1
    where = f"entry {counter[0]}"
    try:
        strings = _strings(entry)
        title = strings.get("Title", ("", False))[0]
        where += f" ({title[:40]!r})" if title else ""
        draft = _draft(entry, strings, path, trashed, result, where)
    except EntryError as exc:
        result.problem(where, str(exc))
        return
    result.add(where, draft)


def _strings(entry: ET.Element) -> dict[str, tuple[str, bool]]:
    out: dict[str, tuple[str, bool]] = {}
    for node in entry.findall("String"):
        key = node.findtext("Key") or ""
        value = node.find("Value")
        if value is None:
            continue
        if value.get("Protected", "").lower() == "true":
            raise EntryError("holds values encrypted by the database (a raw KDBX XML, not an export)")
        concealed = value.get("ProtectInMemory", "").lower() == "true"
        out[key] = (value.text or "", concealed)
    return out


def _draft(entry: ET.Element, strings: dict[str, tuple[str, bool]], path: list[str], trashed: bool,
           result: ParseResult, where: str) -> Draft:
    draft = Draft("login", strings.get("Title", ("", False))[0])
    draft.set_folder("/".join(path))
    draft.set("username", strings.get("UserName", ("", False))[0])
    draft.set("password", strings.get("Password", ("", False))[0])
    draft.add_url(strings.get("URL", ("", False))[0])
    draft.add_notes(strings.get("Notes", ("", False))[0])
    for key in _TOTP_KEYS:
        if key in strings:
            draft.set("totp", strings[key][0], label=key)
    for key, (value, concealed) in strings.items():
        if key in _STANDARD or key in _TOTP_KEYS:
            continue
        if _EXTRA_URL.match(key):
            draft.add_url(value)
        else:
            draft.add_custom(key, value, concealed=concealed or key in _TOTP_SETTINGS)
    draft.add_custom("override URL", entry.findtext("OverrideURL"))
    for tag in re.split(r"[;,]", entry.findtext("Tags") or ""):
        draft.add_tag(tag)
    times = entry.find("Times")
    if times is not None:
        draft.created = _time(times.findtext("CreationTime"))
        draft.modified = _time(times.findtext("LastModificationTime"))
        if (times.findtext("Expires") or "").strip().lower() == "true":
            draft.add_custom("expires", _time(times.findtext("ExpiryTime")) or "")
    if trashed:
        draft.trashed = utc_stamp()
    for binary in entry.findall("Binary"):
        result.skip(where, f"attachment {(binary.findtext('Key') or '')[:60]!r}",
                    "importing attached files is not supported yet; keep the file elsewhere")
    history = entry.find("History")
    for old in history.findall("Entry") if history is not None else []:
        password = _strings(old).get("Password", ("", False))[0]
        old_times = old.find("Times")
        stamp = _time(old_times.findtext("LastModificationTime")) if old_times is not None else None
        draft.add_history(password, stamp)
    return draft


def _time(text: str | None) -> str | None:
    """An ISO time (KeePass 2 XML) or base64 seconds since 0001-01-01 (KDBX 4 XML)."""
    value = (text or "").strip()
    if not value:
        return None
    stamp = iso_timestamp(value)
    if stamp or len(value) != 12:
        return stamp
    try:
        seconds = int.from_bytes(base64.b64decode(value, validate=True), "little")
        return iso_timestamp((_EPOCH_0001 + timedelta(seconds=seconds)).isoformat())
    except (ValueError, OverflowError):
        return None
