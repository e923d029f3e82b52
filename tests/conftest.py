"""Fixtures shared by the whole suite: the statutory calendar, the bundled catalogues, the CLI.

Keep this file small and general; fixtures for one area belong in that area's test file.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

from terminarz.law.catalogue import CatalogueSet, load_catalogues
from terminarz.law.holidays_pl import default_source
from terminarz.law.workdays import WorkingCalendar
from terminarz.paths import bundled_catalogues, calendars_dir, holiday_table_path
from terminarz.store.sqlite import SQLiteStore

RunCli = Callable[..., subprocess.CompletedProcess[str]]


def load_bench(name: str) -> ModuleType:
    """The script ``bench/<name>.py`` as a module (the tests use its generators)."""
    path = Path(__file__).resolve().parent.parent / "bench" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"terminarz_bench_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up while decorating
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session", autouse=True)
def isolated_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keep the suite away from the developer's own state and configuration.

    The default state database lives in the user's data directory, and the config
    is looked up in ``TERMINARZ_CONFIG``: both point into a temporary folder for the
    whole session, and SMTP overrides from the environment are dropped.
    """
    home = tmp_path_factory.mktemp("home")
    saved = dict(os.environ)
    for key in list(os.environ):
        if key == "TERMINARZ_CONFIG" or key.startswith("TERMINARZ_SMTP_"):
            del os.environ[key]
    os.environ["XDG_DATA_HOME"] = str(home / "data")
    os.environ["XDG_CONFIG_HOME"] = str(home / "config")
    os.environ["XDG_STATE_HOME"] = str(home / "state")
    os.environ["XDG_CACHE_HOME"] = str(home / "cache")
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(scope="session")
def calendar() -> WorkingCalendar:
    """The statutory working-day calendar, as the CLI builds it (memoises years as it goes)."""
    return WorkingCalendar(default_source(holiday_table_path()))


@pytest.fixture(scope="session")
def catalogues() -> CatalogueSet:
    """The 1992 catalogue (``calendars/mpips-1992.toml``), the engine's specification."""
    return load_catalogues([calendars_dir() / "mpips-1992.toml"])


@pytest.fixture(scope="session")
def all_catalogues() -> CatalogueSet:
    """Every catalogue bundled in ``calendars/``, repealed or not."""
    return load_catalogues(bundled_catalogues())


@pytest.fixture(scope="session")
def terminarz_exe() -> Path:
    """The real ``terminarz`` console script of the environment running the tests."""
    for folder in (sysconfig.get_path("scripts"), str(Path(sys.executable).parent)):
        found = shutil.which("terminarz", path=folder)
        if found:
            return Path(found)
    pytest.fail("no `terminarz` console script next to the interpreter; run `pip install -e .`")


@pytest.fixture(scope="session")
def run_cli(terminarz_exe: Path) -> RunCli:
    """Run the console script: ``run_cli("due", "--month", "2026-01", env={...})``.

    Output is captured as UTF-8 text; ``NO_COLOR`` is removed from the environment
    unless given in ``env``, so tests see what a pipe would get.
    """

    def run(
        *args: str, env: dict[str, str] | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        full_env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
        full_env.update(env or {})
        return subprocess.run(
            [str(terminarz_exe), *args],
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=full_env,
            timeout=timeout,
            check=False,
        )

    return run


EXAMPLE_ORGANISATION = "mopr-przyklad"  # the id in calendars/examples/osrodek-pomocy.toml


def open_state(path: Path, organisation: str = EXAMPLE_ORGANISATION) -> SQLiteStore:
    """The store of a test's state file, as the example organisation's commands open it."""
    return SQLiteStore(path, organisation)


# -- a real PostgreSQL server, started from the machine's binaries ------------------------------


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server in a temporary folder on a free loopback port, for this session:
    its base URL (``postgresql://terminarz@127.0.0.1:PORT``); see :mod:`pg_server`. Without
    the binaries the tests are skipped with a reason — except in CI (``CI=true``), where
    that is a failure."""
    from pg_server import postgres_binaries, running_postgres

    binaries = postgres_binaries()
    if binaries is None:
        message = "PostgreSQL nie jest zainstalowany (pakiet Debiana postgresql)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with running_postgres(binaries, "fsync=off", "max_connections=200") as url:
        yield url


@pytest.fixture
def postgres_url(postgres_server: str) -> str:
    """A new, empty database of the session's server for one test."""
    import psycopg

    name = f"t{os.getpid()}_{next(_DATABASES)}"
    with psycopg.connect(f"{postgres_server}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    return f"{postgres_server}/{name}"


_DATABASES = itertools.count()
