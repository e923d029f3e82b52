"""Property-based fuzz of the catalogue and organisation loaders (a sample in the suite).

The generator lives in ``bench/fuzz_loaders.py``, which runs the same cases at
scale (``.venv/bin/python bench/fuzz_loaders.py --cases 1000``). Here hypothesis
draws a sample and shrinks any failure: for every malformed file the loaders
either accept it or raise a ``TerminarzError`` naming the file — never another
exception.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, given, settings

BENCH = Path(__file__).resolve().parent.parent / "bench" / "fuzz_loaders.py"


def _load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("terminarz_bench_fuzz_loaders", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up while decorating
    spec.loader.exec_module(module)
    return module


fuzz = _load_bench()


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
