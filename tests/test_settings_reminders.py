"""``[reminders]`` (overdue_every, overdue_max, overdue_until, contact) and ``[feeds]``
short_name: defaults, and every mistake reported in Polish with the file, the line and
the field — all at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_organisation import VALID, write

from terminarz.errors import ValidationError
from terminarz.org.organisation import load_organisation


def test_defaults_end_the_escalation() -> None:
    from terminarz.settings import FeedSettings, ReminderSettings

    rem = ReminderSettings()
    assert (rem.overdue_every, rem.overdue_max, rem.overdue_until, rem.contact) == (5, 4, 90, None)
    assert FeedSettings().short_name is None


def test_values_are_read(tmp_path: Path) -> None:
    path = write(tmp_path, VALID + (
        '\n[reminders]\noverdue_every = 3\noverdue_max = 0\noverdue_until = 30\n'
        'contact = "Sekretariat <sekretariat@example.org>"\n'
        '\n[feeds]\nshort_name = "OPS Przykładowo"\n'))  # fmt: skip
    settings = load_organisation(path).settings
    rem = settings.reminders
    assert (rem.overdue_every, rem.overdue_max, rem.overdue_until) == (3, 0, 30)
    assert rem.contact == "Sekretariat <sekretariat@example.org>"
    assert settings.feeds.short_name == "OPS Przykładowo"


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ("[reminders]\noverdue_every = 0",
         "(2), pole „overdue_every”: „overdue_every” musi być liczbą od 1 do 60, a jest 0"),
        ("[reminders]\noverdue_max = -1",
         "(2), pole „overdue_max”: „overdue_max” musi być liczbą od 0 do 50, a jest -1"),
        ('[reminders]\noverdue_until = "90 dni"',
         "(2), pole „overdue_until”: „overdue_until” musi być liczbą całkowitą"),
        ('[reminders]\ncontact = "sekretariat"',
         "(2), pole „contact”: „contact”:"),
        ('[feeds]\nshort_name = "  "',
         "(2), pole „short_name”: krótka nazwa kalendarzy nie może być pusta"),
        ("[reminders]\noverdue_for = 3",
         "(2), pole „overdue_for”: nieznany klucz „overdue_for”"),
    ],
    ids=["every-zero", "max-negative", "until-text", "contact-not-an-address",
         "short-name-empty", "unknown-key"],
)  # fmt: skip
def test_each_mistake_names_file_line_and_field(tmp_path: Path, table: str, expected: str) -> None:
    text = f"{VALID}\n{table}\n"
    path = write(tmp_path, text)
    header = text.splitlines().index(table.splitlines()[0]) + 1  # the table's line number
    with pytest.raises(ValidationError) as info:
        load_organisation(path)
    line, _, rest = expected.partition(")")  # "(2)": the table's second line
    wanted = f"{path}({header + int(line[1:]) - 1}){rest}"
    assert any(text.startswith(wanted) for text in str(info.value).splitlines()), str(info.value)
