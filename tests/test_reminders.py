"""Which mails are due on a day: the pure decisions of ``terminarz.notify.reminders``.

The organisation is the bundled example (``calendars/examples/osrodek-1992.toml``):
MPiPS-03 for 2026 is due on Saturday 30 January 2027, moved to Monday
1 February 2027; the whole DŚPS group is away in its preparation window, so
the DOKiP group (kier-dokip, prac-dokip) takes over. Its data input from DOKiP
would be requested on Monday 11 January (15 working days before) and delivered
on Thursday 21 January (7 working days before) — but DOKiP, which holds the data,
now prepares the report itself, so there is neither request nor delivery (II.4).
When nobody is available on the due date, or another person is designated, the
request stays and is sent by whoever is at work on 11 January: the DŚPS group.

Hand-counted working days of January 2027 (1 and 6 January are holidays):
T-10 = Mon 18 Jan, T-5 = Mon 25 Jan, T-2 = Thu 28 Jan, T-0 = Mon 1 Feb;
overdue every 2 working days: T+1 = Tue 2 Feb, T+3 = Thu 4 Feb, T+5 = Mon 8 Feb.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from terminarz.law.workdays import WorkingCalendar
from terminarz.notify.reminders import DueMail, MailKind, decide, escalation, lead_days, timeline
from terminarz.org.plan import Setup, load_setup, plan
from terminarz.paths import calendars_dir

EXAMPLE = calendars_dir() / "examples" / "osrodek-1992.toml"
OCC = "mpips-03@ops/2026"


def copy_example(folder: Path, extra: str = "", *, state: str = "state.sqlite3") -> Path:
    """The example organisation in ``folder`` with its own state file (and ``extra`` TOML)."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(EXAMPLE.parent / "urlopy.ics", folder / "urlopy.ics")
    text = EXAMPLE.read_text(encoding="utf-8")
    # no waiting between SMTP retries in tests
    text = text.replace('sender = "terminarz@example.org"',
                        'sender = "terminarz@example.org"\nretry_delays = [0, 0]')
    assert "retry_delays" in text
    target = folder / "org.toml"
    target.write_text(f"{text}\n[state]\npath = \"{state}\"\n{extra}", encoding="utf-8")
    return target


NOBODY = """
[[absences]]
person = "kier-dokip"
from = 2027-01-14
to = 2027-02-10
reason = "urlop"

[[absences]]
person = "prac-dokip"
from = 2027-01-14
to = 2027-02-10
reason = "urlop"
"""

DESIGNATED = NOBODY + """
[[designations]]
person = "prac-dsr"
target = "mpips-03@ops/2026"
from = 2027-01-18
to = 2027-02-05
basis = "pkt II.5 — upoważnienie Dyrektora z 15.01.2027"
"""


@pytest.fixture(scope="module")
def setups(tmp_path_factory: pytest.TempPathFactory, calendar: WorkingCalendar) -> dict[str, Setup]:
    base = tmp_path_factory.mktemp("orgs")
    variants = (("example", ""), ("nobody", NOBODY), ("designated", DESIGNATED))
    return {
        name: load_setup(copy_example(base / name, extra), today=date(2027, 1, 4),
                         statutory=calendar)
        for name, extra in variants
    }


def due_on(setup: Setup, today: date, *, ledger: frozenset[tuple[str, str, str, str]] = frozenset(),
           confirmed: frozenset[str] = frozenset(), epoch: date = date(2027, 1, 1),
           overdue_every: int = 2) -> list[DueMail]:  # fmt: skip
    assert setup.organisation is not None
    items = plan(setup, date(2026, 12, 1), date(2027, 3, 31), today=today)
    return decide(items, organisation=setup.organisation, calendar=setup.institution,
                  today=today, ledger=ledger, confirmed=confirmed,
                  overdue_every=overdue_every, epoch=epoch)  # fmt: skip


def summary(mails: list[DueMail]) -> list[tuple[str, str, str]]:
    return sorted((m.kind.value, m.step, m.recipient) for m in mails)


DOKIP = ("kier-dokip", "prac-dokip")
DSPS = ("kier-dsps", "prac-dsps", "zast-dsps")  # sorted, as summary() sorts


def test_timeline_days_are_hand_counted(setups: dict[str, Setup]) -> None:
    setup = setups["example"]
    (item,) = [p for p in plan(setup, date(2027, 2, 1), date(2027, 2, 1), today=date(2027, 1, 4))
               if p.id == OCC]  # fmt: skip
    steps = timeline(item, setup.institution, today=date(2027, 2, 8), overdue_every=2)
    assert [(s.label, s.day) for s in steps] == [
        ("T-10", date(2027, 1, 18)), ("T-5", date(2027, 1, 25)), ("T-2", date(2027, 1, 28)),
        ("T-0", date(2027, 2, 1)), ("T+1", date(2027, 2, 2)), ("T+3", date(2027, 2, 4)),
        ("T+5", date(2027, 2, 8)),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2027, 1, 8), []),
        (date(2027, 1, 11), []),  # no request to itself: DOKiP prepares the report
        (date(2027, 1, 18), [("handover", "tier-1", p) for p in DOKIP]
         + [("reminder", "T-10", p) for p in DOKIP]),
        (date(2027, 1, 19), [("handover", "tier-1", p) for p in DOKIP]
         + [("reminder", "T-10", p) for p in DOKIP]),
        (date(2027, 2, 2), [("handover", "tier-1", p) for p in DOKIP]
         + [("overdue", "T+1", p) for p in ("dyrektor", *DOKIP)]),
        (date(2027, 2, 3), [("handover", "tier-1", p) for p in DOKIP]
         + [("overdue", "T+1", p) for p in ("dyrektor", *DOKIP)]),
    ],
    ids=["before-anything", "request-day-no-request-to-itself", "first-reminder-and-handover",
         "deliver-T-2-no-delivery-to-itself",
         "first-overdue-day-with-director", "overdue-next-day-still-T+1"],
)  # fmt: skip
def test_empty_ledger_gets_the_latest_step(
    setups: dict[str, Setup], today: date, expected: list[tuple[str, str, str]]
) -> None:
    assert summary(due_on(setups["example"], today)) == sorted(expected)


def test_ledger_keys_are_not_decided_again(setups: dict[str, Setup]) -> None:
    setup = setups["example"]
    first = due_on(setup, date(2027, 1, 18))
    again = due_on(setup, date(2027, 1, 18), ledger=frozenset(m.key for m in first))
    assert again == []
    # a week later only the newest reminder step is due
    later = due_on(setup, date(2027, 1, 25), ledger=frozenset(m.key for m in first))
    assert summary(later) == [("reminder", "T-5", "kier-dokip"),
                              ("reminder", "T-5", "prac-dokip")]  # fmt: skip


def test_catch_up_marks_the_mail_late(setups: dict[str, Setup]) -> None:
    mails = due_on(setups["example"], date(2027, 1, 27),
                   ledger=frozenset(m.key for m in due_on(setups["example"], date(2027, 1, 21))))
    assert summary(mails) == [("reminder", "T-5", p) for p in DOKIP]
    assert {m.day for m in mails} == {date(2027, 1, 25)}  # the step's own day, before today


def test_handover_copies_the_absent_group(setups: dict[str, Setup]) -> None:
    handovers = [m for m in due_on(setups["example"], date(2027, 1, 18))
                 if m.kind is MailKind.HANDOVER]  # fmt: skip
    assert {m.cc for m in handovers} == {("kier-dsps", "zast-dsps", "prac-dsps")}


def test_confirmed_occurrence_gets_nothing(setups: dict[str, Setup]) -> None:
    assert due_on(setups["example"], date(2027, 2, 2), confirmed=frozenset({OCC})) == []


def test_overdue_before_the_epoch_is_left_alone(setups: dict[str, Setup]) -> None:
    assert due_on(setups["example"], date(2027, 2, 4), epoch=date(2027, 2, 3)) == []


@pytest.mark.parametrize(
    ("today", "every", "step"),
    [(date(2027, 2, 4), 2, "T+3"), (date(2027, 2, 5), 2, "T+3"), (date(2027, 2, 8), 2, "T+5"),
     (date(2027, 2, 4), 1, "T+3"), (date(2027, 2, 8), 3, "T+4"), (date(2027, 2, 8), 5, "T+1")],
    ids=["every-2-day-3", "every-2-day-4-keeps-3", "every-2-day-5", "every-1", "every-3",
         "every-5-not-yet"],
)  # fmt: skip
def test_overdue_repeats_every_n_working_days(
    setups: dict[str, Setup], today: date, every: int, step: str
) -> None:
    mails = due_on(setups["example"], today, overdue_every=every)
    assert {m.step for m in mails if m.kind is MailKind.OVERDUE} == {step}


def test_nobody_available_asks_the_fallback(setups: dict[str, Setup]) -> None:
    setup = setups["nobody"]
    first = due_on(setup, date(2027, 1, 18))
    # the request (11 January, caught up) goes to the DŚPS group, at work that day
    assert summary(first) == [("designation", "T-10", "dyrektor"),
                              *(("request", "dokip:T-0", p) for p in DSPS)]  # fmt: skip
    # once, then with each reminder — and only the new step
    later = due_on(setup, date(2027, 1, 25), ledger=frozenset(m.key for m in first))
    assert summary(later) == [("deliver", "dokip:T-0", "kier-dokip"),
                              ("designation", "T-5", "dyrektor")]  # fmt: skip


def test_designation_hands_the_duty_to_the_designated(setups: dict[str, Setup]) -> None:
    assert summary(due_on(setups["designated"], date(2027, 1, 18))) == [
        ("handover", "designated", "prac-dsr"),
        ("reminder", "T-10", "prac-dsr"),
        # the designation starts on 18 January; on 11 January the DŚPS group was at work
        *(("request", "dokip:T-0", p) for p in DSPS),
    ]


def test_escalation_goes_to_the_unit_head_or_the_fallback(setups: dict[str, Setup]) -> None:
    setup = setups["example"]
    assert setup.organisation is not None
    (item,) = [p for p in plan(setup, date(2027, 2, 1), date(2027, 2, 1), today=date(2027, 2, 2))
               if p.id == OCC]  # fmt: skip
    # prac-dokip's head is kier-dokip (already responsible); kier-dokip heads the unit → director
    assert escalation(item, setup.organisation) == ("dyrektor",)


def test_lead_days_cover_reminders_and_inputs(setups: dict[str, Setup]) -> None:
    assert setups["example"].organisation is not None
    assert lead_days(setups["example"].organisation) == 15
