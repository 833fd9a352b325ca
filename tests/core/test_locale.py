"""The shipped Norwegian bokmål catalogue: complete, compiled, and used by the pages."""

from __future__ import annotations

import ast
import gettext
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.factories.orgunits import UserFactory

MESSAGES = Path(settings.BASE_DIR) / "locale" / "nb" / "LC_MESSAGES"
PO = MESSAGES / "django.po"
MO = MESSAGES / "django.mo"


@dataclass
class Entry:
    msgctxt: str | None = None
    msgid: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def key(self) -> str:
        assert self.msgid is not None
        return f"{self.msgctxt}\x04{self.msgid}" if self.msgctxt else self.msgid


def read_po(path: Path) -> list[Entry]:
    """The entries of a PO file (the subset of the format makemessages writes)."""
    entries: list[Entry] = []
    entry = Entry()
    target: tuple[str, int] = ("msgid", 0)

    def close() -> None:
        nonlocal entry
        if entry.msgid is not None:
            entries.append(entry)
        entry = Entry()

    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            close()
        elif line.startswith("#~"):
            entry.obsolete = True
        elif line.startswith("#,"):
            entry.flags.update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            text = ast.literal_eval(line)
            name, index = target
            if name == "msgstr":
                entry.msgstr[index] += text
            else:
                setattr(entry, name, getattr(entry, name) + text)
        else:
            keyword, _, rest = line.partition(" ")
            text = ast.literal_eval(rest)
            if keyword.startswith("msgstr"):
                index = int(keyword[7:-1]) if keyword != "msgstr" else 0
                target = ("msgstr", index)
                entry.msgstr[index] = text
            else:
                if keyword == "msgctxt" and entry.msgid is not None:
                    close()
                target = (keyword, 0)
                setattr(entry, keyword, text)
    close()
    return [e for e in entries if not e.obsolete]


def test_every_message_has_a_finished_translation() -> None:
    entries = [e for e in read_po(PO) if e.msgid]
    assert len(entries) > 900  # the whole site, not a sample

    fuzzy = [e.msgid for e in entries if "fuzzy" in e.flags]
    untranslated = [
        e.msgid
        for e in entries
        if not e.msgstr or not all(text.strip() for text in e.msgstr.values())
    ]
    assert not fuzzy, f"{len(fuzzy)} fuzzy: {fuzzy[:10]}"
    assert not untranslated, f"{len(untranslated)} untranslated: {untranslated[:10]}"


def test_the_header_is_finished_and_declares_two_plural_forms() -> None:
    header = next(e for e in read_po(PO) if e.msgid == "")

    assert "fuzzy" not in header.flags
    assert "Language: nb\n" in header.msgstr[0]
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in header.msgstr[0]


def test_the_shipped_mo_file_is_compiled_from_the_po_file() -> None:
    """Run `manage.py compilemessages -l nb -i .venv` after editing the .po file."""
    expected: dict[object, str] = {}
    for entry in read_po(PO):
        if entry.msgid_plural:
            for index, text in entry.msgstr.items():
                expected[(entry.key, index)] = text
        else:
            expected[entry.key] = entry.msgstr[0]
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)

    catalog = dict(compiled._catalog)  # type: ignore[attr-defined]  # the parsed .mo

    # msgfmt drops the POT-Creation-Date from the header; the rest must match.
    assert compiled.plural(1) == 0
    assert compiled.plural(2) == 1
    del catalog[""], expected[""]
    assert catalog == expected


@pytest.mark.django_db
def test_a_page_in_norwegian_shows_norwegian() -> None:
    client = Client()
    client.force_login(UserFactory())
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nb"

    body = client.get("/tasks/").content.decode()

    assert '<html lang="nb">' in body
    assert "<h1>Mine oppgaver</h1>" in body
    assert "Logg ut" in body
    assert "My tasks" not in body


@pytest.mark.django_db
def test_the_browser_language_picks_norwegian_without_a_cookie() -> None:
    body = (
        Client(HTTP_ACCEPT_LANGUAGE="nb-NO,nb;q=0.9,en;q=0.5")
        .get("/accounts/login/")
        .content.decode()
    )

    assert "Logg inn i Signoff" in body
    assert "Glemt passordet?" in body
