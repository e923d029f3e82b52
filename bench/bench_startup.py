"""Benchmark: start-up of the installed command (not part of the test suite).

    python3 bench/bench_startup.py               # a fresh virtual environment, 15 rounds
    python3 bench/bench_startup.py --runs 25
    python3 bench/bench_startup.py --venv DIR    # reuse DIR (made by an earlier run)
    python3 bench/bench_startup.py --instructions  # also count each command's instructions

Installs the project as a user installs it — ``pip install .`` (not editable) into a new
virtual environment — and times, in that environment, each command below and a bare
``python -c pass`` of the same interpreter, interleaved round by round (the machine's speed
drifts), as whole processes started from here: what a user or cron pays, imports and all.
Each figure is the median wall time over the rounds; each ratio is a command's median over
the bare interpreter's median in the same run, and, paired, the median over the rounds of
the command's time over the bare interpreter's of the same round (the verdicts use the
paired ratio: it is not moved by the machine's drift from round to round); the CPU time
(user + system, from the kernel's accounting of each child) is printed beside it, since on
a shared machine the wall time also counts waiting for a core. Before timing, every
command is run once, so Python's bytecode and terminarz's compiled catalogues exist (as
after the first use of an installation) and the feed's state is "unchanged".

``XDG_DATA_HOME`` and ``XDG_CACHE_HOME`` point at temporary folders. The commands with
``--config`` run as in a deployment: ``feed`` (run first in the warm-up) creates the state
database in the user's data folder, where the parsed absence calendar is then kept, and
every timed ``feed`` finds its published state unchanged. ``due --month`` and the JSON
command run as a new user, with no state database (there are no confirmations to read);
``due --month`` with the database is printed too. Also printed, as a floor: a bare
interpreter importing only the standard modules ``due`` needs (argparse, pathlib, …).

With ``--instructions`` (and ``valgrind`` installed) each command is also run once under
callgrind, with ``PYTHONHASHSEED=0``, and its count of executed instructions is printed
beside the times, as a ratio to ``python -c pass``'s: on a shared machine, whose load
stretches every wall time (the bare interpreter's most of all, which flatters the ratios),
the counts do not move with the load. The verdicts stay on the wall times.

Targets (issue 15), each checked here; exit code 0 when all are met, 1 otherwise:

- ``due --month 2026-01``                                  ≤ 3× ``python -c pass``
- ``due --config calendars/examples/osrodek-pomocy.toml``   ≤ 5×
- ``feed --config …`` into an unchanged state               ≤ 6×
- ``due --catalogue mpips-1992 --from 1992-01-01 --to 2100-12-31 --format json``
  ≤ 8×, and the same with ``PYTHONUNBUFFERED=1`` within 10 % of it (output to a file).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import venv
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "calendars" / "examples" / "osrodek-pomocy.toml"
FLOOR = ("import argparse, bisect, datetime, locale, pathlib, zlib; "
         "argparse.ArgumentParser().parse_args([])")  # what `due --month` imports of the stdlib
JSON_ARGS = ["due", "--catalogue", "mpips-1992", "--from", "1992-01-01", "--to", "2100-12-31",
             "--format", "json"]  # fmt: skip


@dataclass(frozen=True)
class Case:
    label: str
    argv: list[str]  # after the ``terminarz`` script
    target: float | None  # the highest ratio allowed, None: printed only
    env: tuple[tuple[str, str], ...] = ()


def make_venv(folder: Path) -> Path:
    """A new virtual environment with the project installed as a user installs it."""
    print(f"creating {folder} and installing the project (pip install .) …", flush=True)
    venv.create(folder, with_pip=True, clear=True)
    python = folder / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                    str(ROOT)], check=True)  # fmt: skip
    return python


def run(argv: list[str], env: dict[str, str], out: Path) -> tuple[float, float]:
    """One whole process: its wall time and its CPU time (user + system) in seconds, with
    stdout going to a file, as a redirect does."""
    with out.open("wb") as sink:
        start = time.perf_counter()
        child = subprocess.Popen(argv, stdout=sink, stderr=subprocess.PIPE, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        assert child.stderr is not None
        error = child.stderr.read()
        child.stderr.close()
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited with {child.returncode}:\n"
                         f"{error.decode(errors='replace')}")  # fmt: skip
    return elapsed, usage.ru_utime + usage.ru_stime


def paired(values: list[float], bases: list[float]) -> float:
    """The median over the rounds of each round's ratio ``values[i] / bases[i]``: a command
    against the run it is compared with in the same round, seconds apart, so that the
    machine's drift between rounds (tens of per cent on a shared machine) cancels out."""
    return statistics.median(value / base for value, base in zip(values, bases, strict=True))


def instructions(argv: list[str], env: dict[str, str], out: Path) -> int:
    """The instructions one whole process executes (callgrind's count, hash seed fixed)."""
    with out.open("wb") as sink:
        done = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                               *argv], stdout=sink, stderr=subprocess.PIPE,
                              env=env | {"PYTHONHASHSEED": "0"}, check=True)  # fmt: skip
    found = re.search(rb"Collected : (\d+)", done.stderr)
    if found is None:
        raise SystemExit(f"no instruction count from valgrind for {' '.join(argv)}")
    return int(found.group(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="rounds (default 15)")
    parser.add_argument("--venv", type=Path, help="reuse this environment (made if missing)")
    parser.add_argument("--instructions", action="store_true",
                        help="also count each command's instructions once (valgrind)")
    args = parser.parse_args(argv)
    if args.instructions and shutil.which("valgrind") is None:
        parser.error("--instructions needs valgrind (apt install valgrind)")

    work = Path(tempfile.mkdtemp(prefix="terminarz-bench-startup-"))
    try:
        folder = args.venv or work / "venv"
        python = folder / "bin" / "python"
        if not python.exists() or args.venv is None:
            python = make_venv(folder)
        else:  # reuse: bring the project up to date, still not editable
            subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps",
                            "--force-reinstall", "--disable-pip-version-check", str(ROOT)],
                           check=True)  # fmt: skip
        script = str(folder / "bin" / "terminarz")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "TERMINARZ_"))}
        env |= {"XDG_DATA_HOME": str(work / "data"), "XDG_CACHE_HOME": str(work / "cache"),
                "TZ": "Europe/Warsaw"}  # fmt: skip
        feeds = work / "kalendarze"
        new_user = (("XDG_DATA_HOME", str(work / "new-user")),)
        cases = [
            Case("python -c pass", [], None),
            Case("  stdlib imports of due (floor)", ["-c", FLOOR], None),
            Case("due --month 2026-01 (new user)", ["due", "--month", "2026-01"], 3.0, new_user),
            Case("  the same, with a state database", ["due", "--month", "2026-01"], None),
            Case("due --config osrodek-pomocy.toml", ["due", "--config", str(EXAMPLE)], 5.0),
            Case("feed --config … (unchanged state)",
                 ["feed", "--config", str(EXAMPLE), "--out", str(feeds)], 6.0),
            Case("due … 1992–2100 --format json", JSON_ARGS, 8.0, new_user),
            Case("  the same, PYTHONUNBUFFERED=1", JSON_ARGS, None,
                 (*new_user, ("PYTHONUNBUFFERED", "1"))),
        ]

        def command(case: Case) -> list[str]:
            if not case.argv:
                return [str(python), "-c", "pass"]
            return [str(python), *case.argv] if case.argv[0] == "-c" else [script, *case.argv]

        out = work / "out"
        print(f"Python {sys.version.split()[0]}, {os.cpu_count()} cores, {args.runs} rounds; "
              f"environment {folder}", flush=True)  # fmt: skip
        # warm-up: bytecode, compiled catalogues, the state database (made by feed: then
        # the absence calendar is parsed once and kept), the feed's published state
        for case in sorted(cases, key=lambda c: not c.argv or c.argv[0] != "feed"):
            run(command(case), env | dict(case.env), out)
        times: dict[str, list[float]] = {case.label: [] for case in cases}
        cpu: dict[str, list[float]] = {case.label: [] for case in cases}
        for _ in range(args.runs):
            for case in cases:
                wall, used = run(command(case), env | dict(case.env), out)
                times[case.label].append(wall)
                cpu[case.label].append(used)
        counted = {case.label: instructions(command(case), env | dict(case.env), out)
                   for case in cases} if args.instructions else {}  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)  # with the new environment, if one was made

    medians = {label: statistics.median(values) for label, values in times.items()}
    bare = medians["python -c pass"]
    cpu_bare = statistics.median(cpu["python -c pass"])
    missed = []
    print(f"\n{'command':40} {'wall median':>11} {'min–max':>15} {'×pass':>7} {'paired':>7}  "
          f"{'cpu':>7} {'×pass':>6}  {'instructions ×pass  ' if counted else ''}"
          "target (paired, on wall)")  # fmt: skip
    for case in cases:
        values = times[case.label]
        ratio = medians[case.label] / bare
        pair = paired(values, times["python -c pass"])
        verdict = ""
        if case.target is not None:
            met = pair <= case.target
            verdict = f"≤ {case.target:g}× — {'met' if met else 'MISSED'}"
            if not met:
                missed.append(case.label)
        spread = f"{min(values) * 1e3:6.1f}–{max(values) * 1e3:6.1f}"
        used = statistics.median(cpu[case.label])
        count = ""
        if counted:
            mine, base = counted[case.label], counted["python -c pass"]
            count = f"{mine / 1e6:7.0f} M {mine / base:5.2f}×  "
        print(f"{case.label:40} {medians[case.label] * 1e3:8.1f} ms {spread} {ratio:6.2f}× "
              f"{pair:6.2f}×  {used * 1e3:4.0f} ms {used / cpu_bare:5.2f}×  "
              f"{count}{verdict}")  # fmt: skip
    change = paired(times[cases[-1].label], times[cases[-2].label]) - 1
    of_medians = medians[cases[-1].label] / medians[cases[-2].label] - 1
    met = abs(change) <= 0.10
    print(f"\nJSON with PYTHONUNBUFFERED=1 against without (paired): {change:+.0%}, of the "
          f"medians {of_medians:+.0%} (target: within ±10 % — {'met' if met else 'MISSED'})")
    if not met:
        missed.append("PYTHONUNBUFFERED")
    if missed:
        print("Missed: " + "; ".join(m.strip() for m in missed))
        return 1
    print("All targets met.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
