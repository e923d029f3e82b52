"""Property-based fuzz of the catalogue and organisation loaders (a sample in the suite).

The generator lives in ``bench/fuzz_loaders.py``, which runs the same cases at
scale (``.venv/bin/python bench/fuzz_loaders.py --cases 1000``). Here hypothesis
draws a sample and shrinks any failure: for every malformed file the loaders
either accept it or raise a ``TerminarzError`` naming the file — never another
exception.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import load_bench
from hypothesis import HealthCheck, given, settings

fuzz = load_bench("fuzz_loaders")


@settings(max_examples=150, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])  # fmt: skip
@given(case=fuzz.malformed())
def test_loaders_never_crash(case: object, tmp_path_factory: pytest.TempPathFactory) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    outcome, problem = fuzz.check_case(case, folder)
    assert problem is None, problem
    assert outcome in ("loaded", "rejected")


@pytest.mark.parametrize("kind", ["catalogue", "organisation"])
def test_named_mutations(kind: str, tmp_path: Path) -> None:
    """One hand-made file per mistake kind, rejected with the file's name in the message."""
    base = fuzz.BASES[kind][0].read_bytes()
    cases = {
        "broken-toml": base[: len(base) // 2] + b"\n[[",
        "non-utf8": base.replace(b"\xc5\x9b", b"\x9c", 1),  # "ś" in cp1250
        "impossible-date": base + b"\n[[absences]]\nperson = \"x\"\nfrom = 2026-02-30\n",
        "unknown-key": b"nieznany_klucz = 1\n" + base,
        "huge-nesting": base + b"\nx = " + b"[" * 2000 + b"]" * 2000 + b"\n",
    }
    for name, data in cases.items():
        outcome, problem = fuzz.check_case(
            fuzz.Case(kind=kind, base="test", mutations=(name,), data=data), tmp_path
        )
        assert (outcome, problem) == ("rejected", None), name


def test_bench_counts(tmp_path: Path) -> None:
    report = fuzz.run(30)
    assert report.tried == 30
    assert report.failures == []
    assert sum(report.outcomes.values()) == 30


# -- the input classes of issue 12 -------------------------------------------------------------


@pytest.mark.parametrize("special", fuzz.SPECIAL)
@pytest.mark.parametrize("kind", ["catalogue", "organisation"])
def test_special_files(kind: str, special: str, tmp_path: Path) -> None:
    base = fuzz.BASES[kind][0].read_bytes()
    case = fuzz.Case(kind=kind, base="test", mutations=("special",), data=base, special=special)
    assert fuzz.check_case(case, tmp_path) == ("rejected", None)


@pytest.mark.parametrize("special", fuzz.SPECIAL)
def test_special_absence_sources(special: str, tmp_path: Path) -> None:
    base = fuzz.BASES["organisation"][0].read_bytes()
    case = fuzz.Case(kind="organisation", base="test", mutations=("special-source",), data=base,
                     side_special=special)  # fmt: skip
    outcome, problem = fuzz.check_case(case, tmp_path)
    assert problem is None, problem
    # /dev/null reads as an empty (invalid) calendar; every other special file is refused
    assert outcome == "rejected"


@pytest.mark.parametrize("rule", fuzz.ENDLESS_RULES)
def test_endless_recurrences(rule: str, tmp_path: Path) -> None:
    base = fuzz.BASES["organisation"][0].read_bytes()
    side = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//PL\r\nBEGIN:VEVENT\r\nUID:a@t\r\n"
        "DTSTAMP:20260101T000000Z\r\nDTSTART:20200101T080000Z\r\n"
        + (f"RRULE:{rule}\r\n" if rule else "")
        + "SUMMARY:kier-dsps urlop\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()
    case = fuzz.Case(kind="organisation", base="test", mutations=("endless",), data=base,
                     side=side)  # fmt: skip
    outcome, problem = fuzz.check_case(case, tmp_path)
    assert problem is None, problem
    assert outcome in ("loaded", "rejected")


@pytest.mark.parametrize("snippet", fuzz.OVERFLOW)
@pytest.mark.parametrize("kind", ["catalogue", "organisation"])
def test_year_overflow(kind: str, snippet: bytes, tmp_path: Path) -> None:
    base = fuzz.BASES[kind][0].read_bytes()
    case = fuzz.Case(kind=kind, base="test", mutations=("overflow",), data=base + snippet)
    _, problem = fuzz.check_case(case, tmp_path)
    assert problem is None, problem


@pytest.mark.parametrize("char", fuzz.CONTROL_CHARS)
def test_control_characters_in_names_and_sender(char: str, tmp_path: Path) -> None:
    base = fuzz.BASES["organisation"][0].read_bytes()
    sender = b'\n[smtp]\nsender = "T' + char.encode() + b' <t@example.org>"\n'
    for data in (base.replace(b'name = "', b'name = "' + char.encode(), 1), base + sender):
        case = fuzz.Case(kind="organisation", base="test", mutations=("control",), data=data)
        assert fuzz.check_case(case, tmp_path) == ("rejected", None)
