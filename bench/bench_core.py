"""Benchmark of the core engine (not part of the test suite).

    .venv/bin/python bench/bench_core.py            # both parts
    .venv/bin/python bench/bench_core.py --runs 25  # more start-up runs

(a) Expansion: every occurrence of the bundled catalogues due 1992–2100 (8,052)
    with ``terminarz.rules.expand`` on a fresh ``WorkingCalendar``, against a
    naive reference in the same run that walks day by day over membership in
    the ``holidays`` library. Both must produce identical (id, due, nominal)
    lists; the script fails otherwise. Target: expansion at least 10× faster.
(b) Start-up: ``terminarz due --month 2026-01`` against ``python -c pass``,
    median wall time over several interleaved runs. Target: at most 4×.

Exit code 0 when both targets are met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import sysconfig
import time
from collections.abc import Callable, Container
from datetime import date, timedelta
from pathlib import Path

from terminarz.catalogue import load_catalogues
from terminarz.holidays_pl import FIRST_YEAR, LAST_YEAR, TableHolidays, default_source
from terminarz.paths import bundled_catalogues, holiday_table_path
from terminarz.periods import PeriodKind
from terminarz.rules import DeadlineKind, IfNonWorking, Obligation, expand
from terminarz.workdays import WorkingCalendar

START, END = date(1992, 1, 1), date(2100, 12, 31)
EXPANSION_TARGET = 10.0
STARTUP_TARGET = 4.0

Row = tuple[str, date, date]  # occurrence id, due, nominal


# -- (a) expansion ------------------------------------------------------------------------------


def fast(obligations: list[Obligation], source: TableHolidays) -> list[Row]:
    calendar = WorkingCalendar(source)  # fresh: building the per-year memo is part of the cost
    return [(o.id, o.due, o.nominal) for o in expand(obligations, calendar, START, END)]


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
                if ob.valid_from is not None and date(year, first_month, 1) < ob.valid_from.first_day:
                    continue
                total = year * 12 + index * months - 1 + deadline.months_after
                due_year, due_month = total // 12, total % 12 + 1
                if not FIRST_YEAR <= due_year <= LAST_YEAR:
                    continue
                day = date(due_year, due_month, 1)
                if deadline.kind is DeadlineKind.NTH_WORKING_DAY:
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
                    while day.month == due_month and day.day < deadline.day:
                        day += timedelta(days=1)
                    if day.month != due_month:  # the month is shorter than the day
                        day -= timedelta(days=1)
                    nominal = day
                    step = -1 if deadline.if_non_working is IfNonWorking.PREVIOUS else 1
                    while deadline.if_non_working is not IfNonWorking.KEEP and not working(day):
                        day += timedelta(days=step)
                if START <= day <= END:
                    label = _period_label(ob.period_kind, year, index)
                    rows.append((f"{ob.id}/{label}", day, nominal))
    rows.sort(key=lambda r: (r[1], r[0]))
    return rows


def best_of(runs: int, work: Callable[[], list[Row]]) -> tuple[float, list[Row]]:
    times, result = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def bench_expansion(runs: int) -> float:
    import holidays as holidays_lib

    obligations = list(load_catalogues(bundled_catalogues()).obligations)
    t0 = time.perf_counter()
    source = default_source(holiday_table_path())
    load_table = time.perf_counter() - t0
    assert isinstance(source, TableHolidays), "regenerate: python -m terminarz.holidays_pl --write"
    t0 = time.perf_counter()
    library = holidays_lib.country_holidays("PL", years=range(FIRST_YEAR, LAST_YEAR + 1))
    build_library = time.perf_counter() - t0

    fast_time, fast_rows = best_of(runs, lambda: fast(obligations, source))
    naive_time, naive_rows = best_of(max(1, runs // 2), lambda: naive(obligations, library))
    if fast_rows != naive_rows:
        diff = [(a, b) for a, b in zip(fast_rows, naive_rows, strict=False) if a != b][:5]
        sys.exit(f"expansion and naive reference differ ({len(fast_rows)} vs "
                 f"{len(naive_rows)} rows): {diff}")  # fmt: skip
    ratio = naive_time / fast_time
    print("(a) expansion of the whole catalogue, 1992–2100")
    print(f"    occurrences:           {len(fast_rows):>8}  (identical in both)")
    print(f"    expand():              {fast_time * 1000:>8.1f} ms  (median of {runs})")
    print(f"    naive day-by-day loop: {naive_time * 1000:>8.1f} ms")
    print(f"    ratio:                 {ratio:>8.1f}×  (target ≥ {EXPANSION_TARGET:g}×)")
    print(f"    (not timed above: loading the holiday table {load_table * 1000:.1f} ms, "
          f"building the holidays library's table {build_library * 1000:.0f} ms)")  # fmt: skip
    return ratio


# -- (b) start-up -------------------------------------------------------------------------------


def console_script() -> Path:
    for folder in (sysconfig.get_path("scripts"), str(Path(sys.executable).parent)):
        found = shutil.which("terminarz", path=folder)
        if found:
            return Path(found)
    sys.exit("no `terminarz` console script next to this interpreter; run `pip install -e .`")


def wall(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t0


def bench_startup(runs: int) -> float:
    bare = [sys.executable, "-c", "pass"]
    due = [str(console_script()), "due", "--month", "2026-01", "--today", "2026-01-10"]
    wall(bare), wall(due)  # warm the file cache
    bare_times, due_times = [], []
    for _ in range(runs):  # interleaved, so both see the same machine load
        bare_times.append(wall(bare))
        due_times.append(wall(due))
    bare_median, due_median = statistics.median(bare_times), statistics.median(due_times)
    ratio = due_median / bare_median
    print("(b) start-up, median wall time")
    print(f"    python -c pass:                 {bare_median * 1000:>6.1f} ms  ({runs} runs)")
    print(f"    terminarz due --month 2026-01:  {due_median * 1000:>6.1f} ms")
    print(f"    ratio:                          {ratio:>6.2f}×  (target ≤ {STARTUP_TARGET:g}×)")
    return ratio


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="start-up runs (default 15)")
    parser.add_argument("--expand-runs", type=int, default=5, help="expansion runs (default 5)")
    args = parser.parse_args()
    expansion = bench_expansion(args.expand_runs)
    print()
    startup = bench_startup(args.runs)
    met = expansion >= EXPANSION_TARGET and startup <= STARTUP_TARGET
    print()
    print("targets met" if met else "TARGET MISSED")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
