"""Mistakes in catalogue files: each kind gives a Polish message naming file, line, entry, field.

Each case takes a valid catalogue, makes one mistake, and checks the whole
message line ``plik.toml(12), wpis „id”, pole „pole”: komunikat``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from terminarz.errors import TerminarzError, ValidationError
from terminarz.law.catalogue import check_catalogues, load_catalogues
from terminarz.tomlcheck import read_toml

VALID = """\
[act]
id = "test-act"
title = "Akt testowy"
short = "aktu testowego"
valid_from = "2000-01"

[parties]
ops = "ośrodek pomocy społecznej"
wzps = "wojewódzki zespół pomocy społecznej"

[[obligations]]
id = "form-a@ops"
form = "FORM-A"
title = "Sprawozdanie miesięczne"
level = "ops"
recipients = ["wzps"]
period = "month"
deadline = { kind = "nth_working_day", n = 2 }
basis = { paragraph = "1" }

[[obligations]]
id = "form-b@ops"
form = "FORM-B"
title = "Sprawozdanie półroczne"
level = "ops"
recipients = ["wzps"]
period = "half-year"
periods = [1]
deadline = { kind = "fixed", day = 15 }
basis = { paragraph = "2", ust = "1" }
"""


def write(folder: Path, text: str, name: str = "katalog.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, needle: str | tuple[str, int]) -> int:
    """1-based line of the first line containing ``needle`` (or of its n-th: ``(text, n)``)."""
    needle, occurrence = needle if isinstance(needle, tuple) else (needle, 1)
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if needle in line]
    return hits[occurrence - 1]


def mutate(old: str, new: str, count: int = 1) -> str:
    assert VALID.count(old) >= count, old
    return VALID.replace(old, new, count)


def test_the_valid_catalogue_loads(tmp_path: Path):
    catalogues = load_catalogues([write(tmp_path, VALID)])
    assert [o.id for o in catalogues.obligations] == ["form-a@ops", "form-b@ops"]


# Each case: the broken text, the text of the line the message must name (or the text and
# which of its lines), the entry,
# the field, and the Polish message (a regular expression).
CASES = [
    pytest.param(
        mutate('short = "aktu testowego"\n', 'short = "aktu testowego"\ncolour = "red"\n'),
        'colour = "red"', None, "colour",
        r"nieznany klucz „colour” \(dozwolone: id, in_force, notes",
        id="unknown key in [act]",
    ),
    pytest.param(
        VALID + '\n[extras]\nx = 1\n',
        "[extras]", None, "extras",
        r"nieznany klucz „extras” \(dozwolone: act, announced, defaults, obligations, "
        r"overrides, parties",
        id="unknown top-level table",
    ),
    pytest.param(
        mutate('period = "month"\n', 'period = "month"\nfrequency = 12\n'),
        "frequency = 12", "form-a@ops", "frequency", r"nieznany klucz „frequency”",
        id="unknown obligation key",
    ),
    pytest.param(
        mutate("n = 2 }", "n = 2, when = 1 }"),
        "when = 1", "form-a@ops", "deadline.when", r"nieznany klucz „deadline\.when”",
        id="unknown deadline key",
    ),
    pytest.param(
        mutate('title = "Sprawozdanie miesięczne"\n', ""),
        '[[obligations]]', "form-a@ops", "title", r"brak wymaganego pola „title”",
        id="missing required field (line of the entry header)",
    ),
    pytest.param(
        mutate('basis = { paragraph = "1" }\n', ""),
        '[[obligations]]', "form-a@ops", "basis", r"brak wymaganego pola „basis”",
        id="missing basis",
    ),
    pytest.param(
        mutate('form = "FORM-A"', "form = 3"),
        "form = 3", "form-a@ops", "form", r"„form” musi być tekstem, a jest: liczba 3",
        id="wrong type: number for text",
    ),
    pytest.param(
        mutate('recipients = ["wzps"]', 'recipients = "wzps"'),
        'recipients = "wzps"', "form-a@ops", "recipients", r"„recipients” musi być listą tekstów",
        id="wrong type: text for a list",
    ),
    pytest.param(
        mutate("n = 2 }", 'n = "2" }'),
        'n = "2"', "form-a@ops", "deadline.n",
        r"„deadline\.n” musi być liczbą całkowitą, a jest: tekst „2”", id="wrong type: n as text",
    ),
    pytest.param(
        mutate('period = "month"', 'period = "week"'),
        'period = "week"', "form-a@ops", "period",
        r"„period” = „week” — dozwolone wartości: „month”, „quarter”, „half-year”, „year”",
        id="bad period kind",
    ),
    pytest.param(
        mutate('kind = "nth_working_day"', 'kind = "last_day"'),
        'kind = "last_day"', "form-a@ops", "deadline.kind",
        r"„deadline\.kind” = „last_day” — dozwolone wartości: „nth_working_day”, „fixed”",
        id="bad deadline kind",
    ),
    pytest.param(
        mutate("day = 15 }", 'day = 15, if_non_working = "later" }'),
        "if_non_working", "form-b@ops", "deadline.if_non_working",
        r"„deadline\.if_non_working” = „later” — dozwolone wartości: „next”, „previous”, „keep”",
        id="bad if_non_working",
    ),
    pytest.param(
        mutate("n = 2 }", "n = 25 }"),
        "n = 25", "form-a@ops", "deadline.n",
        r"„deadline\.n” musi być liczbą od 1 do 17, a jest 25",
        id="n out of range",
    ),
    pytest.param(
        mutate("n = 2 }", "n = 0 }"),
        "n = 0", "form-a@ops", "deadline.n", r"„deadline\.n” musi być liczbą od 1 do 17, a jest 0",
        id="n zero",
    ),
    pytest.param(
        mutate("day = 15 }", "day = 32 }"),
        "day = 32", "form-b@ops", "deadline.day",
        r"„deadline\.day” musi być liczbą od 1 do 31, a jest 32", id="day out of range",
    ),
    pytest.param(
        mutate("n = 2 }", "n = 2, months_after = 13 }"),
        "months_after = 13", "form-a@ops", "deadline.months_after",
        r"„deadline\.months_after” musi być liczbą od 1 do 12", id="months_after out of range",
    ),
    pytest.param(
        mutate("n = 2 }", "n = 2, day = 3 }"),
        "day = 3", "form-a@ops", "deadline.day",
        r"„deadline\.day” nie pasuje do kind = \"nth_working_day\"", id="day with nth_working_day",
    ),
    pytest.param(
        mutate("periods = [1]", "periods = [3]"),
        "periods = [3]", "form-b@ops", "periods",
        r"„periods” dla okresu „half-year” może zawierać tylko liczby od 1 do 2",
        id="periods out of range",
    ),
    pytest.param(
        mutate("periods = [1]", 'periods = ["H1"]'),
        'periods = ["H1"]', "form-b@ops", "periods", r"„periods” musi być listą numerów okresów",
        id="periods not numbers",
    ),
    pytest.param(
        mutate('level = "ops"', 'level = "gops"'),
        'level = "gops"', "form-a@ops", "level",
        r"nieznany poziom „gops” \(nie ma go w sekcji \[parties\]\)", id="unknown level",
    ),
    pytest.param(
        mutate('recipients = ["wzps"]', 'recipients = ["wzps", "mpips"]'),
        '"mpips"', "form-a@ops", "recipients",
        r"nieznany odbiorca „mpips” \(nie ma go w sekcji \[parties\]\)",
        id="unknown recipient party",
    ),
    pytest.param(
        mutate('id = "form-b@ops"', 'id = "form-a@ops"'),
        ('id = "form-a@ops"', 2), "form-a@ops", "id",
        r"identyfikator obowiązku powtarza się w tym pliku",
        id="duplicate id within the file",
    ),
    pytest.param(
        mutate('id = "form-a@ops"', 'id = "form a/ops"'),
        'id = "form a/ops"', "form a/ops", "id", r"identyfikator nie może zawierać „/” ani spacji",
        id="id with slash and space",
    ),
    pytest.param(
        mutate('period = "month"\n', 'period = "month"\nvalid_from = "2026-13"\n'),
        'valid_from = "2026-13"', "form-a@ops", "valid_from",
        r"„valid_from” musi być okresem: 2026-10, 2026-Q3, 2026-H1 albo 2026; "
        r"jest: tekst „2026-13”",
        id="bad valid_from",
    ),
    pytest.param(
        mutate('period = "month"\n', 'period = "month"\nvalid_from = "2026-03"\n'
               'valid_to = "2025-12"\n'),
        'valid_to = "2025-12"', "form-a@ops", "valid_to",
        r"„valid_to” jest wcześniejsze niż „valid_from”", id="valid_to before valid_from",
    ),
    pytest.param(
        VALID + '\n[[overrides]]\noccurrence = "form-c@ops/2025-H1"\ndue = 2025-07-20\n'
        'basis = "komunikat"\n',
        'occurrence = "form-c@ops/2025-H1"', "form-c@ops/2025-H1", "occurrence",
        r"nieznany obowiązek „form-c@ops”", id="override for an unknown obligation",
    ),
    pytest.param(
        VALID + '\n[[overrides]]\noccurrence = "form-b@ops/2025-H2"\ndue = 2026-01-20\n'
        'basis = "komunikat"\n',
        'occurrence = "form-b@ops/2025-H2"', "form-b@ops/2025-H2", "occurrence",
        r"obowiązek „form-b@ops” nie ma wystąpienia za okres 2025-H2",
        id="override for a period that does not apply",
    ),
    pytest.param(
        VALID + '\n[[overrides]]\noccurrence = "form-a@ops/2025-10"\ndue = "20 listopada"\n'
        'basis = "komunikat"\n',
        'due = "20 listopada"', "form-a@ops/2025-10", "due",
        r"„due” musi być datą w postaci RRRR-MM-DD, a jest: tekst „20 listopada”",
        id="override with a bad date",
    ),
    pytest.param(
        mutate('wzps = "wojewódzki zespół pomocy społecznej"', "wzps = 7"),
        "wzps = 7", None, "wzps",
        r"nazwa strony „wzps” musi być niepustym tekstem, a jest: liczba 7",
        id="party name not text",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("text", "needle", "entry", "field", "message"), CASES)
def test_each_kind_of_mistake(
    tmp_path: Path,
    text: str,
    needle: str | tuple[str, int],
    entry: str | None,
    field: str,
    message: str,
):
    path = write(tmp_path, text)
    line = line_of(text, needle)
    where = f"{re.escape(str(path))}\\({line}\\)"
    if entry:
        where += f", wpis „{re.escape(entry)}”"
    where += f", pole „{re.escape(field)}”: "
    with pytest.raises(ValidationError, match=where + message):
        load_catalogues([path])


def test_broken_toml_syntax_names_the_line(tmp_path: Path):
    text = mutate('title = "Sprawozdanie półroczne"', 'title = "Sprawozdanie półroczne')
    path = write(tmp_path, text)
    line = line_of(text, 'title = "Sprawozdanie półroczne')
    where = rf"{re.escape(str(path))}\({line}\)"
    with pytest.raises(ValidationError, match=where + ": błąd składni TOML"):
        load_catalogues([path])


def test_non_utf8_bytes(tmp_path: Path):
    path = tmp_path / "cp1250.toml"
    path.write_bytes(VALID.encode("cp1250"))  # "ś" in cp1250 is 0x9c
    line = line_of(VALID, "ś")
    with pytest.raises(
        ValidationError,
        match=rf"{re.escape(str(path))}\({line}\): plik nie jest zapisany w kodowaniu UTF-8 "
        r"\(niepoprawny bajt 0x9c\); zapisz go jako UTF-8",
    ):
        load_catalogues([path])


def test_missing_file(tmp_path: Path):
    path = tmp_path / "nie-ma.toml"
    with pytest.raises(ValidationError, match=rf"{re.escape(str(path))}: plik nie istnieje"):
        load_catalogues([path])


def test_missing_sections(tmp_path: Path):
    path = write(tmp_path, 'title = "bez sekcji"\n')
    with pytest.raises(ValidationError) as info:
        load_catalogues([path])
    text = str(info.value)
    assert "brak wymaganej sekcji [act]" in text
    assert "brak wymaganej sekcji [parties]" in text
    assert "katalog nie zawiera żadnego wpisu [[obligations]]" in text


def test_duplicate_id_across_files(tmp_path: Path):
    first = write(tmp_path, VALID, "a.toml")
    second = write(tmp_path, VALID.replace('id = "form-a@ops"', 'id = "form-c@ops"'), "b.toml")
    line = line_of(VALID, 'id = "form-b@ops"')
    with pytest.raises(
        ValidationError,
        match=rf"^{re.escape(str(second))}\({line}\), wpis „form-b@ops”, pole „id”: "
        rf"identyfikator obowiązku powtarza się \(jest już w {re.escape(str(first))}\)$",
    ) as info:
        load_catalogues([first, second])
    assert len(info.value.problems) == 1


def test_all_errors_of_a_file_are_reported_together(tmp_path: Path):
    text = (
        VALID.replace('short = "aktu testowego"', 'short = "aktu testowego"\ncolour = 1')
        .replace('level = "ops"', 'level = "gops"', 1)
        .replace("n = 2 }", "n = 99 }")
        .replace('period = "half-year"', 'period = "fortnight"')
        .replace('basis = { paragraph = "2", ust = "1" }', "")
    )
    path = write(tmp_path, text)
    with pytest.raises(ValidationError) as info:
        load_catalogues([path])
    problems = info.value.problems
    assert [(p.entry, p.field) for p in problems] == [
        (None, "colour"),
        ("form-a@ops", "level"),
        ("form-a@ops", "deadline.n"),
        ("form-b@ops", "period"),
        ("form-b@ops", "basis"),
    ]
    assert all(p.path == path and p.line for p in problems)
    # The exception's text lists every problem, one per line.
    assert str(info.value).splitlines() == [str(p) for p in problems]


def test_errors_of_several_files_are_collected(tmp_path: Path):
    good = write(tmp_path, VALID, "dobry.toml")
    bad1 = write(tmp_path, mutate("n = 2 }", "n = 30 }"), "zly1.toml")
    bad2 = write(tmp_path, "[act\n", "zly2.toml")
    catalogues, problems = check_catalogues([good, bad1, bad2])
    assert [c.path for c in catalogues] == [good]
    assert [p.path for p in problems] == [bad1, bad2]


@pytest.mark.parametrize(
    ("text", "polish"),
    [
        pytest.param('a = "x\nb = 1\n', "niedozwolony znak", id="newline-in-string"),
        pytest.param("a = x\n", "niepoprawna wartość (tekst trzeba ująć w cudzysłów)",
                     id="unquoted-text"),
        pytest.param("a = [1, 2\n", "niezamknięta lista", id="unclosed-array"),
        pytest.param("a = 1\na = 2\n", "wartość tego klucza została już podana", id="twice"),
        pytest.param("[act\n", "brak „]” na końcu nagłówka sekcji", id="unclosed-header"),
        pytest.param("a = 2026-02-30\n", "niepoprawna data", id="impossible-date"),
        pytest.param('a = "abc\n', "niedozwolony znak", id="unterminated"),
        pytest.param("a b = 1\n", "po kluczu brakuje znaku „=”", id="space-in-key"),
    ],
)
def test_toml_syntax_errors_are_explained_in_polish(tmp_path: Path, text: str, polish: str):
    path = tmp_path / "zly.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TerminarzError) as caught:
        read_toml(path)
    message = str(caught.value)
    assert message.startswith(f"{path}(")
    assert f"błąd składni TOML: {polish}" in message
