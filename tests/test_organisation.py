"""The organisation file: what loads, and every kind of mistake ``check`` reports.

Each case takes a valid file, makes one mistake, and looks for the whole message
line ``plik.toml(12), wpis „id”, pole „pole”: komunikat`` among the problems of
the file alone (:func:`check_organisation`) and against the bundled catalogue
(:func:`cross_check`).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from terminarz.errors import Severity, TerminarzError, ValidationError
from terminarz.law.catalogue import CatalogueSet
from terminarz.org.organisation import (
    check_organisation,
    cross_check,
    email_problem,
    load_organisation,
)

VALID = """\
[organisation]
id = "osrodek"
name = "Ośrodek Pomocy Społecznej"
levels = ["ops"]
catalogues = ["mpips-1992"]
access_basis = "pkt I.1 Zasad"

[[units]]
id = "dsps"
name = "Dział Świadczeń Pomocy Społecznej"
head = "kier"

[[people]]
id = "kier"
name = "Kierownik DŚPS"
email = "kier@example.org"
unit = "dsps"
system_access = true

[[people]]
id = "prac"
name = "Pracownik DŚPS"
email = "prac@example.org"
unit = "dsps"
system_access = true

[[people]]
id = "dyr"
name = "Dyrektor"
email = "dyr@example.org"
unit = "dsps"

[[duties]]
id = "ps"
obligations = ["mpips-03@ops", "mpips-03a@ops"]
tiers = [["kier"], ["prac"]]
fallback = "dyr"
basis = "pkt I.4"
inputs = [{ unit = "dsps", data = "dane", request_days = 10, deliver_days = 5 }]

[[absences]]
person = "kier"
from = 2027-01-18
to = 2027-02-05
reason = "urlop"

[[designations]]
person = "prac"
target = "mpips-03a@ops/2027-H1"
from = 2027-07-01
to = 2027-07-16
basis = "pkt II.5"

[calendar]
days_off = [{ date = 2026-08-14, reason = "za 15 sierpnia" }]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "org.toml"
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path, catalogues: CatalogueSet) -> list[tuple[Severity, str]]:
    organisation, problems = check_organisation(path)
    if organisation is not None:
        problems += cross_check(organisation, catalogues.obligations, catalogues.levels)
    return [(p.severity, str(p)) for p in problems]


def test_valid_file_loads(tmp_path: Path, catalogues: CatalogueSet):
    path = write(tmp_path, VALID)
    org = load_organisation(path)
    assert (org.id, org.name, org.levels, org.timezone) == (
        "osrodek", "Ośrodek Pomocy Społecznej", ("ops",), "Europe/Warsaw",
    )  # fmt: skip
    assert [p.id for p in org.people] == ["kier", "prac", "dyr"]
    assert org.person("dyr") is not None and not org.person("dyr").system_access  # type: ignore[union-attr]
    assert org.unit("dsps") is not None and org.unit("dsps").head == "kier"  # type: ignore[union-attr]
    duty = org.duty_for("mpips-03a@ops")
    assert duty is not None
    assert (duty.tiers, duty.fallback, duty.prepare_days, duty.reminders) == (
        (("kier",), ("prac",)), "dyr", 3, (10, 5, 2, 0),
    )  # fmt: skip
    assert [(i.id, i.unit, i.request_days, i.deliver_days) for i in duty.inputs] == [
        ("dsps", "dsps", 10, 5)
    ]
    assert [(a.person, a.start, a.end) for a in org.absences] == [
        ("kier", date(2027, 1, 18), date(2027, 2, 5))
    ]
    assert org.designations[0].for_occurrence
    assert org.days_off == {date(2026, 8, 14): "za 15 sierpnia"}
    assert org.catalogue_paths[0].name == "mpips-1992.toml"
    assert org.settings.smtp.port == 25  # defaults from terminarz.settings
    assert problems_of(path, catalogues) == []


P = "{p}"  # the file's path in the expected message
ERRORS = [
    # -- unknown ids
    pytest.param('tiers = [["kier"], ["prac"]]', 'tiers = [["kier"], ["nikt"]]',
                 f"{P}(36), wpis „ps”, pole „tiers”: nieznana osoba „nikt” (nie ma jej w "
                 "[[people]])", id="unknown-person-in-tier"),
    pytest.param('fallback = "dyr"', 'fallback = "prezes"',
                 f"{P}(37), wpis „ps”, pole „fallback”: nieznana osoba „prezes” (nie ma jej w "
                 "[[people]])", id="unknown-fallback"),
    pytest.param('head = "kier"', 'head = "szef"',
                 f"{P}(11), wpis „dsps”, pole „head”: nieznana osoba „szef” (nie ma jej w "
                 "[[people]])", id="unknown-unit-head"),
    pytest.param('email = "kier@example.org"\nunit = "dsps"',
                 'email = "kier@example.org"\nunit = "dzial"',
                 f"{P}(17), wpis „kier”, pole „unit”: nieznany dział „dzial” (nie ma go w "
                 "[[units]])", id="unknown-unit-of-person"),
    pytest.param('{ unit = "dsps", data', '{ unit = "dokip", data',
                 f"{P}(39), wpis „ps”, pole „inputs[1].unit”: nieznany dział „dokip” (nie ma go "
                 "w [[units]])", id="unknown-unit-of-input"),
    pytest.param('person = "kier"', 'person = "kto"',
                 f"{P}(42), wpis „kto”, pole „person”: nieznana osoba „kto” (nie ma jej w "
                 "[[people]])", id="unknown-person-absent"),
    pytest.param('person = "prac"', 'person = "zastepca"',
                 f"{P}(48), wpis „mpips-03a@ops/2027-H1”, pole „person”: nieznana osoba "
                 "„zastepca” (nie ma jej w [[people]])", id="unknown-person-designated"),
    # -- addresses and line breaks (they would end up in mail headers)
    pytest.param('email = "kier@example.org"', 'email = "kier(at)example.org"',
                 f"{P}(16), wpis „kier”, pole „email”: „kier(at)example.org” nie jest adresem "
                 "e-mail (oczekiwano postaci nazwa@domena.pl)", id="email-without-at"),
    pytest.param('email = "kier@example.org"', 'email = "kier@localhost"',
                 f"{P}(16), wpis „kier”, pole „email”: „kier@localhost” nie jest adresem e-mail "
                 "(domena musi zawierać kropkę, np. example.org)", id="email-without-domain-dot"),
    pytest.param('email = "kier@example.org"', 'email = "Kierownik <kier@example.org>"',
                 f"{P}(16), wpis „kier”, pole „email”: „Kierownik <kier@example.org>” nie jest "
                 "adresem e-mail (zawiera spacje)", id="email-with-display-name"),
    pytest.param('email = "kier@example.org"', 'email = "kier@example.org, dyr@example.org"',
                 f"{P}(16), wpis „kier”, pole „email”: „kier@example.org, dyr@example.org” nie "
                 "jest adresem e-mail (zawiera spacje)", id="two-emails"),
    pytest.param('email = "kier@example.org"', 'email = "kier@example.org\\nBcc: x@example.org"',
                 f"{P}(16), wpis „kier”, pole „email”: „email” nie może zawierać znaku końca "
                 "wiersza", id="email-with-line-break"),
    pytest.param('name = "Kierownik DŚPS"', 'name = "Kierownik\\r\\nDŚPS"',
                 f"{P}(15), wpis „kier”, pole „name”: „name” nie może zawierać znaku końca "
                 "wiersza", id="person-name-with-line-break"),
    pytest.param('name = "Dział Świadczeń Pomocy Społecznej"',
                 'name = """Dział\nŚwiadczeń"""',
                 f"{P}(10), wpis „dsps”, pole „name”: „name” nie może zawierać znaku końca "
                 "wiersza", id="unit-name-with-line-break"),
    pytest.param('name = "Ośrodek Pomocy Społecznej"', 'name = "Ośrodek\\nPomocy"',
                 f"{P}(3), pole „name”: „name” nie może zawierać znaku końca wiersza",
                 id="organisation-name-with-line-break"),
    # -- structure
    pytest.param('system_access = true\n\n[[people]]\nid = "dyr"',
                 'system_access = true\ntelefon = "123"\n\n[[people]]\nid = "dyr"',
                 f"{P}(26), wpis „prac”, pole „telefon”: nieznany klucz „telefon” (dozwolone: "
                 "email, id, login, name, role, system_access, unit)", id="unknown-key"),
    pytest.param("[calendar]", "[kalendarz]",
                 f"{P}(54), pole „kalendarz”: nieznany klucz „kalendarz” (dozwolone: "
                 "absence_sources, absences, calendar, designations, duties, feeds, "
                 "organisation, people, reminders, server, smtp, state, units)",
                 id="unknown-table"),
    pytest.param('id = "prac"', 'id = "kier"',
                 f"{P}(21), wpis „kier”, pole „id”: identyfikator osoby „kier” powtarza się",
                 id="duplicate-person"),
    pytest.param('id = "prac"', 'id = "Prac Nowak"',
                 f"{P}(21), wpis „Prac Nowak”, pole „id”: identyfikator „Prac Nowak” może "
                 "zawierać tylko małe litery łacińskie, cyfry, „-”, „_” i „.”",
                 id="bad-person-id"),
    pytest.param('fallback = "dyr"\n', "",
                 f"{P}(33), wpis „ps”, pole „fallback”: brak wymaganego pola „fallback”",
                 id="missing-fallback"),
    pytest.param('tiers = [["kier"], ["prac"]]', "tiers = []",
                 f"{P}(36), wpis „ps”, pole „tiers”: „tiers” musi być listą grup osób, np. "
                 '[["kierownik", "zastepca"], ["pracownik"]]', id="empty-tiers"),
    pytest.param('tiers = [["kier"], ["prac"]]', 'tiers = [["kier", "kier"]]',
                 f"{P}(36), wpis „ps”, pole „tiers”: ta sama osoba występuje w grupie dwukrotnie",
                 id="person-twice-in-tier"),
    pytest.param("to = 2027-02-05", "to = 2027-01-05",
                 f"{P}(44), wpis „kier”, pole „to”: „to” (2027-01-05) jest wcześniejsze niż "
                 "„from” (2027-01-18)", id="absence-ends-before-it-starts"),
    pytest.param("from = 2027-01-18", "from = 2027-02-30",
                 f"{P}(43): błąd składni TOML: niepoprawna data (kolumna 8) "
                 "[Invalid date or datetime]",
                 id="impossible-date"),
    pytest.param("from = 2027-01-18", 'from = "18.01.2027"',
                 f"{P}(43), wpis „kier”, pole „from”: „from” musi być datą w postaci RRRR-MM-DD, "
                 "a jest: tekst „18.01.2027”", id="date-in-polish-format"),
    pytest.param("request_days = 10, deliver_days = 5", "request_days = 5, deliver_days = 5",
                 f"{P}(39), wpis „ps”, pole „inputs[1].request_days”: „request_days” (5) musi "
                 "być większe niż „deliver_days` (5): prośba o dane wychodzi przed terminem ich "
                 "dostarczenia", id="request-not-before-delivery"),
    pytest.param('{ unit = "dsps", data = "dane",', '{ id = "zus", name = "ZUS", data = "dane",',
                 f"{P}(39), wpis „ps”, pole „inputs[1].id”: dane od podmiotu zewnętrznego "
                 "wymagają pól „id”, „name” i „email”; dla działu należy podać „unit”",
                 id="external-input-without-email"),
    pytest.param('levels = ["ops"]\n', 'levels = ["ops"]\ntimezone = "Europe/Warszawa"\n',
                 f"{P}(5), pole „timezone”: nieznana strefa czasowa „Europe/Warszawa” (np. "
                 "Europe/Warsaw)", id="unknown-timezone"),
    pytest.param('catalogues = ["mpips-1992"]', 'catalogues = ["mpips-1999"]',
                 f"{P}(5), pole „catalogues”: katalog „mpips-1999” nie istnieje (szukano: ",
                 id="missing-catalogue"),
    pytest.param("[calendar]", '[smtp]\nport = "25"\npassword = "tajne"\n\n[calendar]',
                 f"{P}(55), pole „port”: „port” musi być liczbą całkowitą, a jest: tekst „25”",
                 id="settings-checked-too"),
    pytest.param("[calendar]", "[calendar]\nextra_working_days = [2026-08-14]",
                 f"{P}(55), pole „extra_working_days”: dzień 2026-08-14 jest jednocześnie dniem "
                 "wolnym i dodatkowym dniem pracy", id="day-off-and-working-day"),
    # -- against the catalogues
    pytest.param('obligations = ["mpips-03@ops", "mpips-03a@ops"]',
                 'obligations = ["mpips-03@ops"]',
                 f"{P}(33), wpis „mpips-03a@ops”: obowiązek „mpips-03a@ops” (MPiPS-03a) nie ma "
                 "przypisanych osób: należy go dodać do „obligations” jednego z wpisów [[duties]]",
                 id="obligation-without-duty"),
    pytest.param('target = "mpips-03a@ops/2027-H1"', 'target = "mpips-03a@ops/2027-H2"',
                 f"{P}(49), wpis „mpips-03a@ops/2027-H2”, pole „target”: obowiązek "
                 "„mpips-03a@ops” nie ma wystąpienia za okres 2027-H2",
                 id="designation-unknown-occurrence"),
    pytest.param('target = "mpips-03a@ops/2027-H1"', 'target = "mpips-04@ops"',
                 f"{P}(49), wpis „mpips-04@ops”, pole „target”: wyznaczenie wskazuje nieznany "
                 "obowiązek „mpips-04@ops”", id="designation-unknown-obligation"),
    pytest.param('target = "mpips-03a@ops/2027-H1"', 'target = "mpips-03a@ops/lipiec"',
                 f"{P}(49), wpis „mpips-03a@ops/lipiec”, pole „target”: „mpips-03a@ops/lipiec” "
                 "nie jest identyfikatorem wystąpienia (np. mpips-03@ops/2026)",
                 id="designation-malformed-id"),
    pytest.param('target = "mpips-03a@ops/2027-H1"', 'target = "mpips-02@rup/2027-06"',
                 f"{P}(49), wpis „mpips-02@rup/2027-06”, pole „target”: obowiązek „mpips-02@rup” "
                 "(poziom rup) nie dotyczy tej instytucji (poziomy: ops)",
                 id="designation-other-level"),
    pytest.param('levels = ["ops"]', 'levels = ["gops"]',
                 f"{P}(4), pole „levels”: nieznany poziom „gops”; katalogi znają: ops, rup, wup, "
                 "wzps", id="unknown-level"),
]


@pytest.mark.parametrize(("old", "new", "expected"), ERRORS)
def test_each_mistake_is_reported(
    tmp_path: Path, catalogues: CatalogueSet, old: str, new: str, expected: str
):
    assert VALID.count(old) == 1, old
    path = write(tmp_path, VALID.replace(old, new))
    found = problems_of(path, catalogues)
    errors = [text for severity, text in found if severity is Severity.ERROR]
    wanted = expected.replace(P, str(path))
    assert any(e.startswith(wanted) for e in errors), "\n".join(errors)


WARNINGS = [
    pytest.param('email = "prac@example.org"\nunit = "dsps"\nsystem_access = true',
                 'email = "prac@example.org"\nunit = "dsps"',
                 f"{P}(35), wpis „ps”, pole „tiers”: ostrzeżenie: osoba „prac” (Pracownik DŚPS) "
                 "jest w grupie odpowiedzialnych, ale nie ma dostępu do systemu sprawozdawczego "
                 "(system_access = false); dostęp mają tylko osoby wskazane w pkt I.1 Zasad",
                 id="no-system-access-cites-I.1"),
    pytest.param('obligations = ["mpips-03@ops", "mpips-03a@ops"]',
                 'obligations = ["mpips-03@ops", "mpips-03a@ops", "sr-*@ops"]',
                 f"{P}(35), wpis „ps”, pole „obligations”: ostrzeżenie: wzorzec „sr-*@ops” nie "
                 "pasuje do żadnego obowiązku tej instytucji (poziomy: ops) — obowiązek nie "
                 "będzie nikomu przypisany, dopóki katalog go nie zawiera",
                 id="pattern-matching-nothing"),
    pytest.param('email = "dyr@example.org"', 'email = "KIER@example.org"',
                 f"{P}(30), wpis „dyr”, pole „email”: ostrzeżenie: adres „KIER@example.org” ma już "
                 "osoba „kier”", id="shared-address"),
    pytest.param("2026-08-14", "2026-08-15",
                 f"{P}(55), pole „days_off[1].date”: ostrzeżenie: 2026-08-15 to sobota — i tak "
                 "dzień wolny", id="day-off-on-saturday"),
]


@pytest.mark.parametrize(("old", "new", "expected"), WARNINGS)
def test_each_warning_is_reported(
    tmp_path: Path, catalogues: CatalogueSet, old: str, new: str, expected: str
):
    assert VALID.count(old) == 1, old
    path = write(tmp_path, VALID.replace(old, new))
    found = problems_of(path, catalogues)
    assert [t for s, t in found if s is Severity.ERROR] == []
    assert (Severity.WARNING, expected.replace(P, str(path))) in found, found
    load_organisation(path)  # warnings do not stop loading


def test_all_problems_at_once(tmp_path: Path):
    text = (VALID.replace('fallback = "dyr"', 'fallback = "prezes"')
            .replace('email = "kier@example.org"', 'email = "kier"')
            .replace("to = 2027-02-05", "to = 2027-01-01"))  # fmt: skip
    path = write(tmp_path, text)
    with pytest.raises(ValidationError) as info:
        load_organisation(path)
    lines = str(info.value).splitlines()
    assert len(lines) == 3
    assert all(line.startswith(f"{path}(") for line in lines)


def test_unreadable_files_name_the_file(tmp_path: Path):
    missing = tmp_path / "nie-ma.toml"
    with pytest.raises(TerminarzError) as info:
        load_organisation(missing)
    assert str(info.value) == f"{missing}: plik nie istnieje"
    latin2 = tmp_path / "latin2.toml"
    latin2.write_bytes(VALID.encode("iso-8859-2"))
    with pytest.raises(TerminarzError) as info:
        load_organisation(latin2)
    assert str(info.value).startswith(f"{latin2}(3): plik nie jest zapisany w kodowaniu UTF-8")


@pytest.mark.parametrize(
    ("address", "ok"),
    [("jan.kowalski@example.org", True), ("j+tag@sub.example.org", True),
     ("jan@example", False), ("jan@@example.org", False), ("@example.org", False),
     ("jan@example..org", False), ("jan@-", False), ("jan kowalski@example.org", False),
     ("jan@example.org\r\nBcc: x@y.pl", False), ("", False)],
    ids=["plain", "plus-subdomain", "no-dot", "two-at", "no-local", "empty-label", "bad-domain",
         "space", "header-injection", "empty"],
)  # fmt: skip
def test_email_problem(address: str, ok: bool):
    assert (email_problem(address) is None) is ok
