"""Benchmark of the core engine (not part of the test suite).

    .venv/bin/python bench/bench_core.py

(a) Expansion: every occurrence of the 1992 catalogue due 1992–2100 (8,052)
    with ``terminarz.law.rules.expand`` on a fresh ``WorkingCalendar``, against a
    naive reference in the same run that walks day by day over membership in
    the ``holidays`` library's dates, held in a ``frozenset`` (the fastest naive
    lookup). Both must produce identical (id, due, nominal)
    lists; the script fails otherwise. Target: expansion at least 10× faster.
    Also printed: the date computation alone, and where expand()'s time goes.
Start-up is measured by ``bench/bench_startup.py``, in a regular (not editable) install.

Exit code 0 when the target is met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from calendar import monthrange
from collections.abc import Callable, Container
from datetime import date, timedelta

from terminarz.law.catalogue import load_catalogues
from terminarz.law.holidays_pl import FIRST_YEAR, LAST_YEAR, TableHolidays, default_source
from terminarz.law.periods import PeriodKind
from terminarz.law.rules import Deadline, DeadlineKind, IfNonWorking, Obligation, Occurrence, expand
from terminarz.law.workdays import WorkingCalendar
from terminarz.paths import calendars_dir, holiday_table_path

START, END = date(1992, 1, 1), date(2100, 12, 31)
EXPANSION_TARGET = 10.0

Row = tuple[str, date, date]  # occurrence id, due, nominal


# -- (a) expansion ------------------------------------------------------------------------------


def fast(obligations: list[Obligation], source: TableHolidays) -> list[Occurrence]:
    calendar = WorkingCalendar(source)  # fresh: building the per-year memo is part of the cost
    return expand(obligations, calendar, START, END)


def _period_label(kind: PeriodKind, year: int, index: int) -> str:
    if kind is PeriodKind.MONTH:
        return f"{year}-{index:02d}"
    if kind is PeriodKind.QUARTER:
        return f"{year}-Q{index}"
    if kind is PeriodKind.HALF_YEAR:
        return f"{year}-H{index}"
    return str(year)


def naive(obligations: list[Obligation], holidays: Container[date]) -> list[Row]:
    """The same dates the slow way: step through every day, ask ``holidays`` each time."""

    def working(day: date) -> bool:
        return day.weekday() < 5 and day not in holidays

    rows: list[Row] = []
    for ob in obligations:
        deadline = ob.deadline
        if deadline is None:
            continue
        months = 12 // ob.period_kind.per_year
        for year in range(START.year - 1, END.year + 1):
            for index in range(1, ob.period_kind.per_year + 1):
                if ob.periods and index not in ob.periods:
                    continue
                first_month = (index - 1) * months + 1
                valid_from = ob.valid_from
                if valid_from is not None and date(year, first_month, 1) < valid_from.first_day:
                    continue
                total = year * 12 + index * months - 1 + deadline.months_after
                due_year, due_month = total // 12, total % 12 + 1
                if not FIRST_YEAR <= due_year <= LAST_YEAR:
                    continue
                if deadline.kind is DeadlineKind.NTH_WORKING_DAY:
                    day = date(due_year, due_month, 1)
                    count = 0
                    while True:
                        if working(day):
                            count += 1
                            if count == deadline.n:
                                break
                        day += timedelta(days=1)
                    nominal = day
                else:
                    assert deadline.day is not None
                    # The nominal day needs no walk (and asks no holiday question).
                    last = monthrange(due_year, due_month)[1]
                    day = nominal = date(due_year, due_month, min(deadline.day, last))
                    step = -1 if deadline.if_non_working is IfNonWorking.PREVIOUS else 1
                    while deadline.if_non_working is not IfNonWorking.KEEP and not working(day):
                        day += timedelta(days=step)
                if START <= day <= END:
                    label = _period_label(ob.period_kind, year, index)
                    rows.append((f"{ob.id}/{label}", day, nominal))
    rows.sort(key=lambda r: (r[1], r[0]))
    return rows


# The date computation alone, on the same (rule, year, month) jobs: the memoised calendar
# against the day-by-day walk. This isolates what the per-year memo buys; expand() on top of
# it also builds a Period and an Occurrence object per result and sorts them.

Job = tuple[Deadline, int, int]  # the rule, the year and month it counts in


def fast_dates(jobs: list[Job], source: TableHolidays) -> list[tuple[date, date]]:
    calendar = WorkingCalendar(source)
    out = []
    for deadline, year, month in jobs:
        if deadline.kind is DeadlineKind.NTH_WORKING_DAY:
            assert deadline.n is not None
            due = calendar.nth_working_day(year, month, deadline.n)
            out.append((due, due))
        else:
            assert deadline.day is not None
            nominal = date(year, month, min(deadline.day, monthrange(year, month)[1]))
            out.append((calendar.on_or_after(nominal), nominal))
    return out


def naive_dates(jobs: list[Job], holidays: Container[date]) -> list[tuple[date, date]]:
    out = []
    for deadline, year, month in jobs:
        day = date(year, month, 1)
        if deadline.kind is DeadlineKind.NTH_WORKING_DAY:
            count = 0
            while True:
                if day.weekday() < 5 and day not in holidays:
                    count += 1
                    if count == deadline.n:
                        break
                day += timedelta(days=1)
            out.append((day, day))
        else:
            assert deadline.day is not None
            nominal = date(year, month, min(deadline.day, monthrange(year, month)[1]))
            day = nominal
            while day.weekday() >= 5 or day in holidays:
                day += timedelta(days=1)
            out.append((day, nominal))
    return out


def where_the_time_goes(
    obligations: list[Obligation], source: TableHolidays, occurrences: list[Occurrence], runs: int
) -> tuple[float, ...]:
    """Medians of expand()'s parts, each run on its own: the working-day memo of
    1990–2100, expand() on a calendar that has it already, and making the same
    Occurrence objects alone, by expand()'s path and by the dataclass constructor."""
    warm = WorkingCalendar(source)
    expand(obligations, warm, START, END)
    groups: dict[str, list[Occurrence]] = {}
    for occ in occurrences:
        groups.setdefault(occ.obligation.id, []).append(occ)
    columns = [
        (g[0].obligation, [o.period for o in g], [o.nominal for o in g], [o.due for o in g])
        for g in groups.values()
    ]

    def memo() -> None:
        calendar = WorkingCalendar(source)
        for year in range(FIRST_YEAR, LAST_YEAR + 1):
            calendar.nth_working_day(year, 1, 1)  # computes the whole year

    def objects() -> None:
        for obligation, periods, nominals, dues in columns:
            Occurrence._without_override(obligation, periods, nominals, dues)

    def constructor() -> None:
        for ob, periods, nominals, dues in columns:
            for p, n, d in zip(periods, nominals, dues, strict=True):
                Occurrence(obligation=ob, period=p, nominal=n, due=d)

    parts: list[Callable[[], object]] = [
        memo, lambda: expand(obligations, warm, START, END), objects, constructor
    ]
    times: list[list[float]] = [[] for _ in parts]
    for _ in range(runs):
        for work, found in zip(parts, times, strict=True):
            found.append(timed(work)[0])
    return tuple(statistics.median(t) for t in times)


def timed(work: Callable[[], object]) -> tuple[float, object]:
    """Wall time of one call, with the cyclic garbage collector off (as ``timeit`` does)."""
    gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter()
        result = work()
        return time.perf_counter() - t0, result
    finally:
        gc.enable()


def bench_expansion(runs: int) -> float:
    import holidays as holidays_lib

    obligations = list(load_catalogues([calendars_dir() / "mpips-1992.toml"]).obligations)
    t0 = time.perf_counter()
    source = default_source(holiday_table_path())
    load_table = time.perf_counter() - t0
    assert isinstance(source, TableHolidays), (
        "regenerate: python -m terminarz.law.holidays_pl --write")
    t0 = time.perf_counter()
    library = frozenset(
        holidays_lib.country_holidays("PL", years=range(FIRST_YEAR, LAST_YEAR + 1))
    )  # the dates alone: membership in a frozenset is the fastest naive lookup
    build_library = time.perf_counter() - t0

    fast_times, naive_times = [], []
    occurrences: list[Occurrence] = []
    naive_rows: list[Row] = []
    for _ in range(runs):  # interleaved, so both see the same machine load
        seconds, occurrences = timed(lambda: fast(obligations, source))  # type: ignore[assignment]
        fast_times.append(seconds)
        seconds, naive_rows = timed(lambda: naive(obligations, library))  # type: ignore[assignment]
        naive_times.append(seconds)
    fast_time, naive_time = statistics.median(fast_times), statistics.median(naive_times)
    fast_rows = [(o.id, o.due, o.nominal) for o in occurrences]
    if fast_rows != naive_rows:
        diff = [(a, b) for a, b in zip(fast_rows, naive_rows, strict=False) if a != b][:5]
        sys.exit(f"expansion and naive reference differ ({len(fast_rows)} vs "
                 f"{len(naive_rows)} rows): {diff}")  # fmt: skip
    ratio = naive_time / fast_time

    jobs: list[Job] = []
    for occ in occurrences:
        deadline = occ.obligation.deadline
        assert deadline is not None and deadline.if_non_working is IfNonWorking.NEXT
        jobs.append((deadline, *occ.period.month_after(deadline.months_after)))
    fast_d, naive_d = [], []
    for _ in range(runs):
        seconds, fast_out = timed(lambda: fast_dates(jobs, source))
        fast_d.append(seconds)
        seconds, naive_out = timed(lambda: naive_dates(jobs, library))
        naive_d.append(seconds)
    expected = [(o.due, o.nominal) for o in occurrences]
    if not fast_out == naive_out == expected:
        sys.exit("date computation: memoised calendar and day-by-day walk differ")
    dates_fast, dates_naive = statistics.median(fast_d), statistics.median(naive_d)
    memo, warm, objects, constructor = where_the_time_goes(
        obligations, source, occurrences, runs
    )
    print("(a) expansion of the whole catalogue, 1992–2100")
    print(f"    occurrences:           {len(fast_rows):>8}  (identical in both)")
    print(f"    expand():              {fast_time * 1000:>8.1f} ms  (median of {runs})")
    print(f"    naive day-by-day loop: {naive_time * 1000:>8.1f} ms  (median of {runs})")
    print(f"    ratio:                 {ratio:>8.1f}×  (target ≥ {EXPANSION_TARGET:g}×)")
    print("    the date computation alone, same 8,052 (rule, month) jobs:")
    print(f"      memoised calendar:   {dates_fast * 1000:>8.1f} ms")
    print(f"      day-by-day walk:     {dates_naive * 1000:>8.1f} ms")
    print(f"      ratio:               {dates_naive / dates_fast:>8.1f}×")
    print("    where expand()'s time goes (each part run on its own):")
    print(f"      working-day memo 1990–2100:     {memo * 1000:>5.1f} ms")
    print(f"      expand() with the memo built:   {warm * 1000:>5.1f} ms  "
          f"(naive loop / it: {naive_time / warm:.1f}×)")  # fmt: skip
    print(f"      of it, the Occurrence objects:  {objects * 1000:>5.1f} ms  "
          f"(by the dataclass constructor: {constructor * 1000:.1f} ms)")  # fmt: skip
    print(f"    (not timed above: loading the holiday table {load_table * 1000:.1f} ms, "
          f"building the holidays library's table {build_library * 1000:.0f} ms)")  # fmt: skip
    return ratio


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--expand-runs", type=int, default=9, help="expansion runs (default 9)")
    args = parser.parse_args()
    expansion = bench_expansion(args.expand_runs)
    met = expansion >= EXPANSION_TARGET
    print()
    print("targets met" if met else "TARGET MISSED")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
