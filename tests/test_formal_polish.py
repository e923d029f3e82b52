"""What people read is written as a public office writes: no informal address ("Ty") in any
mail, page, letter or feed text, nor in the marks the CLI shows beside a date."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# second-person forms and informal imperatives a public office does not use; button labels
# ("Potwierdź wysłanie", "Zaloguj") are the accepted exception and not listed
INFORMAL = re.compile(
    r"\b(ciebie|cię|tobie|twój|twoja|twoje|twojego|twojej|twoich|przejmujesz|należysz|"
    r"odpowiadasz|otrzymasz|masz|możesz|musisz|jesteś|zostałeś|zostałaś|poproś|potwierdź to|"
    r"kliknij|skopiuj|wpisz|sprawdź|zaplanuj|przekazuj|otwórz|naciśnij)\b|\(-aś\)",
    re.IGNORECASE,
)
READ_BY_PEOPLE = ("notify", "web", "law/rules.py", "law/explain.py", "law/announced.py",
                  "cli/duetable.py")  # fmt: skip


def strings_of(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                  if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef)
                  and n.body and isinstance(n.body[0], ast.Expr)}  # fmt: skip
    return [(n.lineno, n.value) for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str)
            and id(n) not in docstrings]  # fmt: skip


def test_no_informal_address_in_templates() -> None:
    found = [f"{p.relative_to(ROOT)}:{i}: {line.strip()[:80]}"
             for p in sorted((ROOT / "templates").rglob("*.j2"))
             for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if INFORMAL.search(line)]  # fmt: skip
    assert found == []


def test_no_informal_address_in_texts_the_code_shows() -> None:
    package = ROOT / "terminarz"
    paths = [p for part in READ_BY_PEOPLE for p in sorted(
        (package / part).rglob("*.py") if (package / part).is_dir() else [package / part])]
    found = [f"{p.relative_to(ROOT)}:{line}: {text[:80]}"
             for p in paths for line, text in strings_of(p) if INFORMAL.search(text)]
    assert found == []


# what an administrator reads from the CLI and about the organisation file (errors, --help):
# impersonal ("należy podać --config PLIK", "zapisuje kalendarze"), never an imperative
IMPERATIVE = re.compile(
    r"\b(podaj|dodaj|ustaw|umieść|popraw|uruchom|pokaż|zakończ|wypisz|zapisz|wyślij|wysyłaj|"
    r"zapisuj|cofnij|pobierz|odśwież|powtórz|zaktualizuj|usuń|użyj|spróbuj|wybierz|zmień|"
    r"wskaż|zainstaluj|sprawdź|wpisz|uzupełnij|wygeneruj)\b",
    re.IGNORECASE,
)
READ_BY_ADMINISTRATORS = ("cli", "org")


def test_no_imperative_in_what_the_cli_and_the_organisation_checks_say() -> None:
    package = ROOT / "terminarz"
    paths = [p for part in READ_BY_ADMINISTRATORS for p in sorted((package / part).rglob("*.py"))]
    found = [f"{p.relative_to(ROOT)}:{line}: {text[:80]}"
             for p in paths for line, text in strings_of(p)
             if INFORMAL.search(text) or IMPERATIVE.search(text)]  # fmt: skip
    assert found == []


def test_a_handover_notice_declines_the_tier_and_addresses_the_reader_formally(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from test_mail_sink import smtp_sink
    from test_reminders import copy_example

    from terminarz.cli import main

    config = copy_example(tmp_path)
    monkeypatch.setenv("TERMINARZ_SECRET", "sekret-testowy-0123456789abcdef")
    with smtp_sink() as server:
        for key, value in server.env().items():
            monkeypatch.setenv(key, value)
        assert main(["remind", "--config", str(config), "--today", "2027-01-18"]) == 0
        received = server.sink.take()
    handovers = [r for r in received if str(r.message["Subject"]).startswith("Zastępstwo")]
    assert handovers
    for mail in handovers:
        text = mail.message.get_body(("plain",)).get_content()
        html = mail.message.get_body(("html",)).get_content()
        assert "obowiązek przechodzi na grupę zastępczą nr 1, do której Pani/Pan należy" in text
        assert "przechodzi na <strong>grupę zastępczą nr 1</strong>" in html
        for body in (text, html):
            assert not INFORMAL.search(body) and "przechodzi na grupa" not in body
