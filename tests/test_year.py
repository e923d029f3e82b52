"""A whole year of nights for the example welfare centre, against a real SMTP server.

``bench/simulate_year.py`` copies ``calendars/examples/osrodek-pomocy.toml`` (its
absences, the leave calendar, one more designation by the director), runs every
night of 2027 as ``terminarz remind`` does, with a SQLite state file, and
confirms each report on its due date — two late, one never. Every mail the
server received is then read as a reviewer would: never twice, never informal,
no English, no known wrong form, no mail to oneself, an escalation that ends and
no handover after the due date.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
from conftest import load_bench
from test_formal_polish import readable, wrong_forms
from test_mail_sink import smtp_sink

SIM = load_bench("simulate_year")


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> tuple[list, dict[str, date]]:  # type: ignore[type-arg]
    from terminarz.org.plan import load_setup, plan

    folder = tmp_path_factory.mktemp("rok")
    with smtp_sink() as server:
        config = SIM.prepare(folder, host=server.host, port=server.port)

        def fetch() -> list[tuple[tuple[str, ...], bytes]]:
            return [(r.rcpt_tos, r.data) for r in server.sink.take()]

        sent = SIM.simulate(config, date(2027, 1, 1), date(2027, 12, 31), fetch)
    setup = load_setup(config, today=date(2027, 1, 1))
    due = {p.id: p.due for p in plan(setup, date(2026, 9, 1), date(2028, 3, 31),
                                     today=date(2027, 1, 1))}  # fmt: skip
    return sent, due


def test_the_year_sends_mail_and_never_twice(year: tuple[list, dict[str, date]]) -> None:  # type: ignore[type-arg]
    sent, _ = year
    assert len(sent) > 100
    ids = Counter(str(s.message["Message-ID"]) for s in sent)
    assert [i for i, n in ids.items() if n > 1] == []
    keys = Counter((s.occurrence_id, s.kind, s.step, p) for s in sent for p in s.to)
    assert [k for k, n in keys.items() if n > 1] == []
    # and never the same person twice for one step under another key (same day, same subject)
    seen = Counter((s.day, s.subject, a) for s in sent for a in s.envelope)
    assert [k for k, n in seen.items() if n > 1] == []


def test_every_mail_reads_as_formal_polish(year: tuple[list, dict[str, date]]) -> None:  # type: ignore[type-arg]
    sent, _ = year
    problems = []
    for s in sent:
        for name, body in (("tekst", s.text), ("HTML", readable(s.html)), ("temat", s.subject)):
            if found := wrong_forms(body):
                problems.append(f"{s.day} {s.occurrence_id} {s.kind} {s.step} ({name}): {found}")
    assert problems == []


def test_nobody_is_written_to_about_themselves(year: tuple[list, dict[str, date]]) -> None:  # type: ignore[type-arg]
    sent, _ = year
    for s in sent:
        to = set(s.addresses("To"))
        assert not to & set(s.addresses("Cc")), s.subject
        reply_to = s.addresses("Reply-To")
        if reply_to:  # the unit head, or the director above a head
            assert len(reply_to) == 1 and reply_to[0] not in to, (s.subject, reply_to)
            assert "prosimy o kontakt:" in s.text
        else:  # nobody above the director: the mail says whom to tell instead
            assert s.to == ("dyrektor",), s.subject
            assert "prosimy poinformować administratora terminarza" in s.text
        assert set(s.envelope) == to | set(s.addresses("Cc"))


def test_escalation_ends(year: tuple[list, dict[str, date]]) -> None:  # type: ignore[type-arg]
    sent, due = year
    overdue = [s for s in sent if s.kind == "overdue"]
    assert overdue
    for s in overdue:
        assert s.day <= due[s.occurrence_id] + timedelta(days=90), (s.day, s.occurrence_id)
        if s.step.startswith("M+"):
            assert s.to == ("dyrektor",)
    # the never confirmed report: at most 5 mails to its people, then monthly to the director
    never = [s for s in overdue if s.occurrence_id == "wrispz@ops/2026-H2"]
    # due Monday 1 February 2027, as hand-counted in test_reminders.py: T+1 … T+21 (2 March),
    # M+1 on 2 April; M+2 would be Tuesday 4 May, past 90 days (2 May)
    assert sorted({(s.day, s.step) for s in never}) == [
        (date(2027, 2, 2), "T+1"), (date(2027, 2, 9), "T+6"), (date(2027, 2, 16), "T+11"),
        (date(2027, 2, 23), "T+16"), (date(2027, 3, 2), "T+21"), (date(2027, 4, 2), "M+1")]


def test_late_confirmations_stop_the_mail(year: tuple[list, dict[str, date]]) -> None:  # type: ignore[type-arg]
    sent, _ = year
    for occurrence_id, (confirmed, _by) in SIM.LATE.items():
        about = [s for s in sent if s.occurrence_id.split("#")[0] == occurrence_id]
        assert any(s.kind == "overdue" for s in about), occurrence_id
        assert max(s.day for s in about) <= confirmed


def test_no_handover_after_the_due_date(year: tuple[list, dict[str, date]]) -> None:  # type: ignore[type-arg]
    sent, due = year
    handovers = [s for s in sent if s.kind == "handover"]
    assert handovers and any(s.step == "designated" for s in handovers)
    for s in handovers:
        assert s.day <= due[s.occurrence_id], (s.day, s.occurrence_id)


def test_a_head_away_is_not_the_one_escalated_to(year: tuple[list, dict[str, date]]) -> None:  # type: ignore[type-arg]
    """WRiSPZ-G for II half of 2026 (due Monday 1 February 2027): the head of DŚPS is on leave
    18 January – 5 February (urlopy.ics), so the first overdue mail (Tuesday 2 February)
    goes above him, to the director; the second (Tuesday 9 February) to him again."""
    sent, _ = year
    steps = {(s.day, p) for s in sent if s.occurrence_id == "wrispz@ops/2026-H2"
             and s.kind == "overdue" and s.step in ("T+1", "T+6") for p in s.to}  # fmt: skip
    assert steps == {(date(2027, 2, 2), p) for p in ("zast-dsps", "prac-dsps", "dyrektor")} | {
        (date(2027, 2, 9), p) for p in ("zast-dsps", "prac-dsps", "kier-dsps")}


def test_no_unit_asks_itself_for_data(year: tuple[list, dict[str, date]]) -> None:  # type: ignore[type-arg]
    """II.4: a request goes to another unit; when the unit holding the data prepares the
    report itself (its people substitute), nobody asks it — and it is not told to deliver
    the data to itself."""
    from terminarz.org.plan import load_setup

    sent, _ = year
    organisation = load_setup(SIM.EXAMPLE, today=date(2027, 1, 1)).organisation
    assert organisation is not None
    requests = [s for s in sent if s.kind == "request"]
    assert requests
    for s in requests:
        asked = s.step.rpartition(":")[0]
        units = {p.unit for p in (organisation.person(i) for i in s.to) if p is not None}
        assert asked not in units, (s.day, s.occurrence_id, s.step, s.to)
