"""Where the bundled data lives: ``calendars/`` and ``templates/``.

In a source checkout or an editable install they sit next to the package; a
regular install puts them under ``<prefix>/share/terminarz/``.
"""

from __future__ import annotations

import sys
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_root() -> Path:
    """The folder holding ``calendars/`` (and ``templates/``)."""
    checkout = _PACKAGE.parent
    if (checkout / "calendars").is_dir():
        return checkout
    return Path(sys.prefix) / "share" / "terminarz"


def calendars_dir() -> Path:
    return data_root() / "calendars"


def templates_dir() -> Path:
    return data_root() / "templates"


def holiday_table_path() -> Path:
    return calendars_dir() / "holidays-pl.json"


def bundled_catalogues() -> list[Path]:
    """Every catalogue file bundled with terminarz, sorted by name."""
    return sorted(p for p in calendars_dir().glob("*.toml"))
