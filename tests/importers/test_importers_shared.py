"""Real exports from other projects' test suites, read from ../shared/formats/ beside the repository.

Those files belong to their authors and are never copied here; where the folder is absent (a fresh
clone elsewhere) these tests skip and the project's own samples still run.
"""

from __future__ import annotations

import pytest

from tests.importers.helpers import SHARED, by_name, custom
from vault_client import importers
from vault_client.importers.common import FAVORITE_TAG

pytestmark = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/formats (real sample exports kept "
                                                            "beside the repository) is not present")


def _parse(name: str, fmt: str):
    data = (SHARED / name).read_bytes()
    assert importers.detect(data) == fmt
    result = importers.parse(fmt, data)
    assert not result.problems
    return result


# (file, format, number of items)
COUNTS = [
    ("bitwarden.json", "bitwarden-json", 14), ("bitwarden-keepassxc.json", "bitwarden-json", 4),
    ("bitwarden.csv", "bitwarden-csv", 14), ("bitwarden-aliasvault.csv", "bitwarden-csv", 12),
    ("1password.1pux", "1pux", 9), ("1password.1pux-export.data.json", "1pux", 9),
    ("1password8.csv", "1password-csv", 14), ("1password8-aliasvault.csv", "1password-csv", 4),
    ("keepassxc.csv", "keepassxc-csv", 3), ("keepassxc-2.4.csv", "keepassxc-csv", 14),
    ("keepass2.xml", "keepass-xml", 14), ("keepass2-keepassxc.xml", "keepass-xml", 4),
    ("chrome.csv", "chrome-csv", 3), ("firefox.csv", "firefox-csv", 3),
]


@pytest.mark.parametrize("name, fmt, count", COUNTS, ids=[c[0] for c in COUNTS])
def test_every_shared_file_imports(name: str, fmt: str, count: int) -> None:
    assert len(_parse(name, fmt).items) == count


def test_bitwarden_json_same_vault_as_csv() -> None:
    """The JSON and CSV exports of one vault give the same logins, passwords and folders."""
    def key(item):
        return (item.name, item.fields.get("username"), item.fields.get("password"), item.folder, item.notes)

    json_items = sorted(key(p.item) for p in _parse("bitwarden.json", "bitwarden-json").items)
    csv_items = sorted(key(p.item) for p in _parse("bitwarden.csv", "bitwarden-csv").items)
    assert json_items == csv_items
    aib = next(p.item for p in _parse("bitwarden.csv", "bitwarden-csv").items if p.item.name == "aib")
    assert custom(aib) == {"pin": ("462916", False), "oldpin": ("489019", False)}
    assert aib.fields["password"] == "ws5T@;_UB[Q|P!8'`~z%XC'JHFUbf#IX _E0}:HF,[{ei0hBg14"


def test_bitwarden_json_all_types() -> None:
    items = by_name(_parse("bitwarden-keepassxc.json", "bitwarden-json"))
    login = items["Login Name"]
    assert login.urls == ["https://mail.google.com", "https://google.com", "https://gmail.com"]
    assert login.fields["totp"].startswith("otpauth://totp/Google:")
    assert FAVORITE_TAG in login.tags and login.folder == "My Folder"
    assert custom(login)["Hidden Field"] == ("hidden-field-value", True)
    assert items["Card Name"].fields["expiry"] == "2021-10"
    identity = items["My Identity"]
    assert identity.fields["address"] == " 1 North Calle Cesar Chavez "   # spaces kept as exported
    assert custom(identity)["social security number"] == ("123-12-1234", True)
    assert items["My Secure Note"].type == "note"


def test_bitwarden_csv_several_uris_and_nested_folders() -> None:
    items = [p.item for p in _parse("bitwarden-aliasvault.csv", "bitwarden-csv").items]
    three = next(i for i in items if i.name == "TutaNota3")
    assert three.urls == ["https://www.aliasvault.com", "https://app.aliasvault.com", "https://downloads.aliasvault.com"]
    assert next(i for i in items if i.name == "SavingsAccount").folder == "Personal/Finance/Banking/Savings"
    assert next(i for i in items if i.name == "TutaNota5").fields["totp"] == "incorrectstring"  # kept as is


def test_1pux_real_export() -> None:
    result = _parse("1password.1pux", "1pux")
    items = by_name(result)
    login = items["Login"]
    assert login.fields == {"username": "team@keepassxc.org", "password": "password", "totp": "DFDFDEF"}
    assert custom(login)["one-time password"] == ("DFDFDEFDEF", True)   # the second TOTP
    assert login.urls == ["https://keepassxc.org", "https://twitter.com"]
    assert items["Credit Card"].fields["number"] == "1234567890"
    assert items["Identity"].fields["city"] == "Boston"
    assert items["Login Archived"].trashed is not None
    assert items["UUID 005 Password"].fields == {"password": "uuid005password"}
    assert items["Secure Note"].tags == ["Note", "Secret Stuff"]
    assert [s.what for s in result.skipped] == ["document 'keepassxc.png'"]


def test_keepass_xml_real_exports() -> None:
    items = by_name_multi(_parse("keepass2.xml", "keepass-xml"))
    assert items["aib"].fields["password"] == "ws5T@;_UB[Q|P!8'`~z%XC'JHFUbf#IX _E0}:HF,[{ei0hBg14"
    assert items["aib"].folder == "Bank" and custom(items["aib"]) == {"pin": ("462916", False)}
    assert items["dpbx@mnyfymt.ws"].folder == "Emails/WS"
    assert items["mastodon.social"].fields["password"] == "D<INNeT?#?Bf4%`zA/4i!/'$T"
    result = _parse("keepass2-keepassxc.xml", "keepass-xml")
    other = by_name(result)
    assert other["delentry"].trashed is not None                 # in the recycle bin
    assert other["Subsub Entry"].folder == "Windows/Subsub"
    assert custom(other["Sample Entry 2"])["override URL"] == ("http://override.net/", False)
    assert [s.what for s in result.skipped] == ["attachment 'myattach.txt'"] * 2 + ["group notes"]


def test_keepassxc_csv_groups() -> None:
    old = by_name_multi(_parse("keepassxc-2.4.csv", "keepassxc-csv"))
    assert old["dpbx@mnyfymt.ws"].folder == "Emails/WS"
    assert old["note"].notes.count("\n") == 1
    new = by_name(_parse("keepassxc.csv", "keepassxc-csv"))
    assert new["Nested Entry"].folder == "Database/Windows/Windowssub1"
    assert new["Sample Entry"].modified == "2025-03-29T18:29:16.000000Z"


def test_browsers() -> None:
    chrome = by_name(_parse("chrome.csv", "chrome-csv"))
    assert chrome["example.com"].notes == "Note for example password from Google"
    firefox = by_name(_parse("firefox.csv", "firefox-csv"))
    assert firefox["youtube.com"].fields == {"username": "youtubeusername", "password": "youtubepassword"}


def test_1password_csv_otp() -> None:
    items = by_name(_parse("1password8-aliasvault.csv", "1password-csv"))
    assert items["Test record 2 with 2FA"].fields["totp"].startswith("otpauth://totp/Strongbox?")
    assert items["1Password Account (dpatel)"].tags == ["Starter Kit"]


def by_name_multi(result):
    """Items by name, where a name may repeat (the last one wins)."""
    return {p.item.name: p.item for p in result.items}
