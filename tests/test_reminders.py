"""Which mails are due on a day: the pure decisions of ``terminarz.notify.reminders``.

The organisation is the bundled example (``calendars/examples/osrodek-1992.toml``):
MPiPS-03 for 2026 is due on Saturday 30 January 2027, moved to Monday
1 February 2027; the whole DŚPS group is away in its preparation window, so
the DOKiP group (kier-dokip, prac-dokip) takes over. Its data input from DOKiP
must be requested on Monday 11 January (15 working days before) and delivered
on Thursday 21 January (7 working days before).

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
    """(kind, step, person) for every addressee of every message."""
    return sorted((m.kind.value, m.step, p) for m in mails for p in m.addressees)


DOKIP = ("kier-dokip", "prac-dokip")


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
        (date(2027, 1, 11), [("request", "dokip:T-0", p) for p in DOKIP]),
        (date(2027, 1, 18), [("handover", "tier-1", p) for p in DOKIP]
         + [("reminder", "T-10", p) for p in DOKIP]
         + [("request", "dokip:T-0", p) for p in DOKIP]),
        (date(2027, 1, 19), [("deliver", "dokip:T-2", "kier-dokip")]
         + [("handover", "tier-1", p) for p in DOKIP]
         + [("reminder", "T-10", p) for p in DOKIP]
         + [("request", "dokip:T-0", p) for p in DOKIP]),
        (date(2027, 2, 1), [("deliver", "dokip:T-0", "kier-dokip")]
         + [("handover", "tier-1", p) for p in DOKIP]
         + [("reminder", "T-0", p) for p in DOKIP]
         + [("request", "dokip:T-0", p) for p in DOKIP]),
        (date(2027, 2, 2), [("overdue", "T+1", p) for p in ("dyrektor", *DOKIP)]),
        (date(2027, 2, 3), [("overdue", "T+1", p) for p in ("dyrektor", *DOKIP)]),
    ],
    ids=["before-anything", "request-day", "first-reminder-and-handover", "deliver-T-2",
         "due-day-handover-still-told", "first-overdue-day-with-director-no-handover",
         "overdue-next-day-still-T+1"],
)  # fmt: skip
def test_empty_ledger_gets_the_latest_step(
    setups: dict[str, Setup], today: date, expected: list[tuple[str, str, str]]
) -> None:
    assert summary(due_on(setups["example"], today)) == sorted(expected)


def test_ledger_keys_are_not_decided_again(setups: dict[str, Setup]) -> None:
    setup = setups["example"]
    first = due_on(setup, date(2027, 1, 18))
    again = due_on(setup, date(2027, 1, 18), ledger=frozenset(k for m in first for k in m.keys))
    assert again == []
    # a week later only the newest reminder step is due; the tasks are past their days
    later = due_on(setup, date(2027, 1, 25), ledger=frozenset(k for m in first for k in m.keys))
    assert summary(later) == [("deliver", "dokip:T-0", "kier-dokip"),
                              ("reminder", "T-5", "kier-dokip"),
                              ("reminder", "T-5", "prac-dokip")]  # fmt: skip


def test_catch_up_marks_the_mail_late(setups: dict[str, Setup]) -> None:
    before = due_on(setups["example"], date(2027, 1, 21))
    mails = due_on(setups["example"], date(2027, 1, 27),
                   ledger=frozenset(k for m in before for k in m.keys))
    assert summary(mails) == [("reminder", "T-5", p) for p in DOKIP]
    assert {m.day for m in mails} == {date(2027, 1, 25)}  # the step's own day, before today


def test_handover_is_one_message_to_the_whole_tier_with_the_absent_in_copy(
    setups: dict[str, Setup],
) -> None:
    handovers = [m for m in due_on(setups["example"], date(2027, 1, 18))
                 if m.kind is MailKind.HANDOVER]  # fmt: skip
    assert len(handovers) == 1
    (mail,) = handovers
    assert mail.recipient == "kier-dokip" and mail.addressees == DOKIP
    assert mail.cc == ("kier-dsps", "zast-dsps", "prac-dsps")


def test_a_tier_told_one_by_one_before_an_upgrade_is_not_told_again(
    setups: dict[str, Setup],
) -> None:
    """Stored keys of per-person handover notices keep their meaning: who has one is left
    out of the shared message; when all have one, nothing is sent."""
    one = frozenset({(OCC, "handover", "tier-1", "kier-dokip")})
    (mail,) = [m for m in due_on(setups["example"], date(2027, 1, 19), ledger=one)
               if m.kind is MailKind.HANDOVER]  # fmt: skip
    assert mail.addressees == ("prac-dokip",)
    both = one | {(OCC, "handover", "tier-1", "prac-dokip")}
    assert not [m for m in due_on(setups["example"], date(2027, 1, 19), ledger=both)
                if m.kind is MailKind.HANDOVER]  # fmt: skip


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
    assert summary(first) == [("designation", "T-10", "dyrektor"),
                              ("request", "dokip:T-0", "dyrektor")]  # fmt: skip
    # once, then with each reminder — and only the new step
    later = due_on(setup, date(2027, 1, 25), ledger=frozenset(k for m in first for k in m.keys))
    assert summary(later) == [("deliver", "dokip:T-0", "kier-dokip"),
                              ("designation", "T-5", "dyrektor")]  # fmt: skip


def test_designation_hands_the_duty_to_the_designated(setups: dict[str, Setup]) -> None:
    assert summary(due_on(setups["designated"], date(2027, 1, 18))) == [
        ("handover", "designated", "prac-dsr"),
        ("reminder", "T-10", "prac-dsr"),
        ("request", "dokip:T-0", "prac-dsr"),
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


# -- escalation with an end ([reminders] overdue_every / overdue_max / overdue_until) ------
# MPiPS-03 for 2026 is due Monday 1 February 2027. Hand-counted, defaults (every 5 working
# days, 4 repeats, until 90 calendar days = Sunday 2 May 2027):
#   T+1  Tue  2 Feb — the responsible people and the director (head of unit is a tier member)
#   T+6  Tue  9 Feb,  T+11 Tue 16 Feb,  T+16 Tue 23 Feb,  T+21 Tue 2 Mar — the same people
#   M+1  Fri  2 Apr — the director only (2 Mar + 1 month)
#   M+2  would be Sun 2 May → Mon 3 May (holiday) → Tue 4 May: past 2 May, not sent.
DEFAULT_STEPS = [
    ("T+1", date(2027, 2, 2)), ("T+6", date(2027, 2, 9)), ("T+11", date(2027, 2, 16)),
    ("T+16", date(2027, 2, 23)), ("T+21", date(2027, 3, 2)), ("M+1", date(2027, 4, 2)),
]  # fmt: skip


def test_overdue_steps_end_hand_counted(setups: dict[str, Setup]) -> None:
    from terminarz.notify.reminders import Escalation, overdue_steps

    calendar = setups["example"].institution
    steps = overdue_steps(date(2027, 2, 1), calendar, Escalation())
    assert [(s.label, s.day) for s in steps] == DEFAULT_STEPS
    assert [s.monthly for s in steps] == [False] * 5 + [True]
    # until 120 days (1 June): M+2 on Tue 4 May, M+3 on Wed 2 June is past 1 June
    longer = overdue_steps(date(2027, 2, 1), calendar, Escalation(until=120))
    assert [(s.label, s.day) for s in longer][5:] == [("M+1", date(2027, 4, 2)),
                                                      ("M+2", date(2027, 5, 4))]  # fmt: skip
    # every 2, 1 repeat, until 30 days (3 March): T+1 2 Feb, T+3 4 Feb, M+1 4 Mar is too late
    short = overdue_steps(date(2027, 2, 1), calendar, Escalation(every=2, repeats=1, until=30))
    assert [(s.label, s.day) for s in short] == [("T+1", date(2027, 2, 2)),
                                                 ("T+3", date(2027, 2, 4))]  # fmt: skip
    # until shorter than the repeats: the repeats stop at the limit (10 days: 11 February)
    cut = overdue_steps(date(2027, 2, 1), calendar, Escalation(until=10))
    assert [(s.label, s.day) for s in cut] == [("T+1", date(2027, 2, 2)), ("T+6", date(2027, 2, 9))]


def _days_with_overdue(setup: Setup, start: date, end: date) -> list[tuple[date, str, str]]:
    """Night by night with a growing ledger: (day, step, person) of every overdue mail."""
    from datetime import timedelta

    ledger: set[tuple[str, str, str, str]] = set()
    out = []
    day = start
    while day <= end:
        assert setup.organisation is not None
        items = plan(setup, date(2027, 1, 1), date(2027, 3, 31), today=day)
        mails = decide(items, organisation=setup.organisation, calendar=setup.institution,
                       today=day, ledger=frozenset(ledger), confirmed=frozenset(),
                       overdue_every=5, epoch=date(2027, 1, 1))  # fmt: skip
        for m in mails:
            ledger.update(m.keys)
            if m.kind is MailKind.OVERDUE and m.occurrence_id == OCC:
                out += [(day, m.step, p) for p in m.addressees]
        day += timedelta(days=1)
    return sorted(out)


def test_overdue_mails_night_by_night_hand_checked(setups: dict[str, Setup]) -> None:
    """Which days get an overdue mail, and to whom: nothing after 2 April."""
    got = _days_with_overdue(setups["example"], date(2027, 2, 1), date(2027, 6, 30))
    people = ("dyrektor", *DOKIP)
    expected = [(day, step, p) for step, day in DEFAULT_STEPS[:5] for p in people]
    expected.append((date(2027, 4, 2), "M+1", "dyrektor"))
    assert got == sorted(expected)


def test_next_overdue_day_is_told_per_reader(setups: dict[str, Setup]) -> None:
    mails = due_on(setups["example"], date(2027, 3, 2), overdue_every=5)
    by_person = {m.recipient: m.next_day for m in mails if m.kind is MailKind.OVERDUE}
    # the last repeat: the director's next is the monthly mail, the others have none
    assert by_person == {"dyrektor": date(2027, 4, 2), "kier-dokip": None, "prac-dokip": None}


def test_stored_step_keys_keep_their_shape(setups: dict[str, Setup]) -> None:
    """Keys stored before the upgrade (``T+1``, ``T+3`` … every 2 days) stay what they were:
    an already sent step is not sent again, the next one due is a new key."""
    sent = frozenset({(OCC, "overdue", "T+1", p) for p in ("dyrektor", *DOKIP)})
    assert due_on(setups["example"], date(2027, 2, 8), ledger=sent, overdue_every=5) == []
    later = due_on(setups["example"], date(2027, 2, 9), ledger=sent, overdue_every=5)
    assert summary(later) == [("overdue", "T+6", p) for p in sorted(("dyrektor", *DOKIP))]


@pytest.mark.parametrize(
    ("step", "words"),
    [("T-10", "10 dni roboczych przed terminem"), ("T-2", "2 dni robocze przed terminem"),
     ("T-1", "1 dzień roboczy przed terminem"), ("T-0", "w dniu terminu"),
     ("T+1", "1 dzień roboczy po terminie"), ("T+22", "22 dni robocze po terminie"),
     ("M+2", "po terminie — przypomnienie miesięczne nr 2"),
     ("tier-1", "przekazanie — grupa zastępcza nr 1"), ("designated", "wyznaczenie osoby"),
     ("dokip:T-2", "2 dni robocze przed terminem zadania"),
     ("dokip:T-0", "w dniu terminu zadania")],
    ids=lambda v: v if isinstance(v, str) and len(v) < 12 else None,
)  # fmt: skip
def test_step_keys_are_shown_in_polish(step: str, words: str) -> None:
    from terminarz.notify.reminders import step_words

    assert step_words(step) == words
