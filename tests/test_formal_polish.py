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
        # the whole tier (two people) in one message: "Państwo" — never "Ty", never "grupa"
        assert "obowiązek przechodzi na grupę zastępczą nr 1, do której Państwo należą" in text
        assert "przechodzi na <strong>grupę zastępczą nr 1</strong>" in html
        for body in (text, html):
            assert not INFORMAL.search(body) and "przechodzi na grupa" not in body


# -- every template, every kind of value ------------------------------------------------------

# Forms a reviewer strikes out: an undeclined tier or weekday after a preposition, a date in
# running text without its comma, a point number of another institution's procedure, double
# or loose full stops, informal imperatives.
WRONG_FORMS = (
    "na grupa", "do grupa", "przechodzi na grupa", "po terminem", "przed terminie",
    "do poniedziałek,", "do wtorek,", "do środa", "do czwartek,", "do piątek,", "do sobota",
    "do niedziela", "w środa", "w sobota", "w niedziela", "w wtorek", "we środę",
    "miała wyjść", "Dane przekaż", "(pkt II.4)", "(pkt II.5)", "pkt II.4)", "r..",
    " .", " ,", "r.</strong>.", "( ", " )", "None", "Ty ", " Ty.", "Ciebie", "przejmujesz",
    "najpóźniej: poniedziałek", "najpóźniej: wtorek", "najpóźniej: środa",
    "najpóźniej: czwartek", "najpóźniej: piątek", "Dziś, poniedziałek", "ważny do 1",
    "ważny do 2", "ważny do 3",
)  # fmt: skip
_DATE_WITHOUT_COMMA = re.compile(
    r"\b(w|we|do|na) (poniedziałek|poniedziałku|wtorek|wtorku|środę|środy|czwartek|czwartku|"
    r"piątek|piątku|sobotę|soboty|niedzielę|niedzieli) \d")
_DOUBLE_STOP = re.compile(r"(?<!\.)\.\.(?!\.)")  # "r..", not the ellipsis of a quotation "(...)"
_ENGLISH = re.compile(
    r"\b(handover|tier|reminder|overdue|designation|designated|request|deliver|due|step|"
    r"kind|true|false|null|undefined|none|deadline|substitute|fallback)\b|\b[TM][+-]\d",
    re.IGNORECASE,
)


def english_words(text: str) -> list[str]:
    """English words (and stored step keys) in what a person reads; commands to copy
    (``terminarz done …``) and addresses are not prose."""
    prose = [line for line in text.splitlines() if "terminarz " not in line.replace(
        "terminarz (", "").replace("przez terminarz", "")]  # fmt: skip
    cleaned = re.sub(r"(https?://|mailto:)\S+|\S+@\S+|<[^>]*>", " ", "\n".join(prose))
    return [m.group(0) for m in _ENGLISH.finditer(cleaned)]


def readable(html: str) -> str:
    """The text of an HTML mail as a reader sees it: inline tags dropped, the others a space."""
    text = re.sub(r"</?(strong|em|code|a|span)\b[^>]*>", "", html)
    return re.sub(r"[ \t]+", " ", re.sub(r"<[^>]+>", " ", text))


def wrong_forms(text: str) -> list[str]:
    found = [w for w in WRONG_FORMS if w in text]
    found += [m.group(0) for m in _DATE_WITHOUT_COMMA.finditer(text)]
    found += [m.group(0) for m in _DOUBLE_STOP.finditer(text)]
    if m := INFORMAL.search(text):
        found.append(m.group(0))
    return found + english_words(text)


def _all_views(folder: Path) -> list[tuple[str, object]]:
    """Real mails of the example (every kind, step and tier the nights produce) with each
    variation of what may be in them: one or several addressees, with and without a
    designation, a planning date, a late send, a contact, a confirmation link."""
    import dataclasses
    from datetime import date, timedelta

    from test_reminders import DESIGNATED, NOBODY, copy_example

    from terminarz.notify.mail import Links, MailComposer, MailRenderer
    from terminarz.notify.reminders import decide
    from terminarz.org.plan import load_setup, plan

    renderer = MailRenderer()
    days = [date(2027, 1, d) for d in (11, 18, 19, 21, 25, 28)] + [
        date(2027, 2, 1), date(2027, 2, 2), date(2027, 2, 9), date(2027, 3, 2),
        date(2027, 4, 2), date(2027, 7, 14), date(2027, 7, 15), date(2027, 7, 16)]
    out: list[tuple[str, object]] = []
    for name, extra in (("example", ""), ("nobody", NOBODY), ("designated", DESIGNATED)):
        setup = load_setup(copy_example(folder / name, extra), today=date(2027, 1, 4))
        assert setup.organisation is not None
        composer = MailComposer(renderer, setup, sender="Terminarz <t@example.org>",
                                links=Links(base_url="https://t.example.org",
                                            secret=b"0123456789abcdef0123", days=30),
                                overdue_every=5)  # fmt: skip
        for today in days:
            items = plan(setup, today - timedelta(days=120), today + timedelta(days=60),
                         today=today)  # fmt: skip
            for mail in decide(items, organisation=setup.organisation,
                               calendar=setup.institution, today=today, ledger=frozenset(),
                               confirmed=frozenset(), overdue_every=5,
                               epoch=date(2026, 1, 1)):  # fmt: skip
                view = composer.view(mail, today=today)
                label = f"{name} {today} {mail.kind.value} {mail.step} {mail.recipient}"
                other = dataclasses.replace(view.recipient, id="inny", name="Inna Osoba")
                for variant, changed in (
                    ("", view),
                    (" several", dataclasses.replace(view, several=True,
                                                     to=(view.recipient, other))),
                    (" late", dataclasses.replace(view, late=True)),
                    (" no-contact no-link", dataclasses.replace(view, contact=None,
                                                                confirm_url=None)),
                ):  # fmt: skip
                    out.append((label + variant, (mail.kind, changed)))
    assert len({label.split()[2] for label, _ in out}) == 6  # every kind but find-date (below)
    return out


def test_every_template_renders_without_a_wrong_form(tmp_path: Path) -> None:
    import itertools

    from terminarz.notify.mail import FindDateView, MailRenderer, PersonView
    from terminarz.notify.reminders import MailKind

    renderer = MailRenderer()
    views = _all_views(tmp_path)
    kinds_steps = {(k.value, v.step) for _, (k, v) in views}  # type: ignore[misc]
    for step in ("T-10", "T-0", "T+1", "T+6", "T+21", "M+1", "tier-1", "designated"):
        assert any(s == step for _, s in kinds_steps), step
    person = PersonView(id="p", name="Kierownik Działu", email="k@example.org", role="")
    other = PersonView(id="q", name="Pracownik Działu", email="p@example.org", role="")
    for late, contact, several in itertools.product((False, True),
                                                    (None, "Dyrektor <d@example.org>"),
                                                    (False, True)):  # fmt: skip
        label = f"find-date late={late} contact={contact} several={several}"
        views.append((label, (MailKind.FIND_DATE, FindDateView(
            kind="find-date", step="T-2", organisation="Ośrodek", recipient=person,
            occurrence_id="mrips-05@ops/2026", task_id="mrips-05@ops/2026#termin",
            form="MRiPS-05", title="Sprawozdanie", for_period="za 2026 r.",
            report_to="wojewoda", window="zwykle 09.02–15.02.2027 r.",
            task_due="we wtorek, 26 stycznia 2027 r.", task_due_words="26 stycznia 2027 r.",
            remaining="za 2 dni robocze", basis="§ 1", late=late,
            step_day="w piątek, 22 stycznia 2027 r.", done_command="terminarz done x",
            contact=contact, several=several,
            to=(person, other) if several else (person,)))))  # fmt: skip
    problems = []
    for label, (kind, view) in views:  # type: ignore[misc]
        rendered = renderer.render_view(kind, view)
        for part, text in (("temat", rendered.subject), ("tekst", rendered.text),
                           ("HTML", readable(rendered.html))):  # fmt: skip
            found = wrong_forms(text)
            if found:
                problems.append(f"{label} ({part}): {found}")
    assert problems == []
