"""Tables and text fitted to the terminal: how wide it is, which columns stay, where to wrap.

Only the CLI touches the terminal. Without a terminal (a pipe, a file, cron) and without
``COLUMNS`` nothing is fitted: every column stays, a row on one line.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from terminarz.cli.common import Context, table


def table_width(ctx: Context) -> int | None:
    """The width tables must fit: ``COLUMNS`` when set, else the terminal's; None (no limit)
    with ``--wide`` or when the output is not a terminal and ``COLUMNS`` is not set (a pipe,
    a file, a mail from cron keep every column, whole lines for ``grep``)."""
    if getattr(ctx.args, "wide", False):
        return None
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    isatty = getattr(ctx.out, "isatty", None)
    if not (isatty and isatty()):
        return None
    try:
        return os.get_terminal_size(ctx.out.fileno()).columns or 80
    except (OSError, ValueError, AttributeError):
        return 80


COMFORT = 12  # the narrowest a column wraps to before another column is left out
GLUE = "\u00a0"  # joins words that must stay on one line of a wrapped cell


def fit_table(
    rows: Sequence[Sequence[str]],
    header: Sequence[str],
    *,
    width: int | None,
    keep: Sequence[str],
    drop: Sequence[str] = (),
) -> tuple[list[tuple[int, str]], list[str]]:
    """:func:`table` fitted into ``width`` columns; the lines, each with the index of its row
    (-1 for the header and its rule), and the titles of the columns left out.

    Columns in ``keep`` always stay; when the table does not fit even with every column
    wrapped to :data:`COMFORT` characters (or its longest word), the columns in ``drop``
    go, in that order. Then the widest column that can still narrow is narrowed, one
    character at a time, its cells wrapped at spaces (never inside a word, nor at a
    :data:`GLUE`). A column whose words are all long (an id) stays whole, so on a terminal
    narrower than the kept columns a line may still be longer than ``width``.
    """
    plain = [[cell.replace(GLUE, " ") for cell in row] for row in rows]
    full = table(plain, header)
    if width is None or max(len(line) for line in full) <= width:
        return [(max(i - 2, -1), line) for i, line in enumerate(full)], []
    columns = list(range(len(header)))
    natural = [max([len(header[i])] + [len(r[i]) for r in plain]) for i in columns]
    least = [max([len(w) for w in header[i].split()] + [len(w) for r in rows
                  for w in r[i].split(" ")]) for i in columns]  # fmt: skip
    # A column may wrap down to COMFORT characters (or its longest word) before others go.
    floor = [min(natural[i], max(least[i], COMFORT)) for i in range(len(header))]
    dropped: list[str] = []
    for title in drop:
        if sum(floor[i] + 2 for i in columns) - 2 <= width:
            break
        if title in header and title not in keep:
            columns.remove(header.index(title))
            dropped.append(title)
    widths = {i: natural[i] for i in columns}
    while sum(widths.values()) + 2 * (len(columns) - 1) > width:
        narrowable = [i for i in columns if widths[i] > least[i]]
        if not narrowable:
            break
        widest = max(narrowable, key=lambda i: (widths[i], widths[i] - least[i], -i))
        widths[widest] -= 1
    lines = [(-1, line) for line in _wrapped(header, columns, widths)]
    lines.append((-1, _line(["-" * widths[i] for i in columns], columns, widths)))
    for index, row in enumerate(rows):
        lines += [(index, line) for line in _wrapped(row, columns, widths)]
    return lines, dropped


def glued(words: str) -> str:
    """``za 10 dni rob. (14 dni)`` wrapped, if at all, only before the bracket."""
    head, bracket, tail = words.partition(" (")
    return head.replace(" ", GLUE) + (" (" + tail.replace(" ", GLUE) if bracket else "")


def _line(cells: Sequence[str], columns: list[int], widths: dict[int, int]) -> str:
    return "  ".join(c.ljust(widths[i]) for c, i in zip(cells, columns, strict=True)).rstrip()


def _wrapped(row: Sequence[str], columns: list[int], widths: dict[int, int]) -> list[str]:
    """One row as one or more lines, each cell wrapped to its column's width."""
    import textwrap

    parts = [
        [p.replace(GLUE, " ") for p in textwrap.wrap(row[i], widths[i], break_long_words=False,
                                                    break_on_hyphens=False)] or [""]
        for i in columns
    ]  # fmt: skip
    height = max(len(p) for p in parts)
    return [_line([p[k] if k < len(p) else "" for p in parts], columns, widths)
            for k in range(height)]  # fmt: skip


def write_notes(ctx: Context, notes: Sequence[str], width: int | None, indent: str = "") -> None:
    """Lines of text under a table, each wrapped to ``width`` (continuation lines indented
    two more spaces than ``indent``); ``textwrap`` is imported only when a line must wrap
    (never for a pipe, a file, cron)."""
    for note in notes:
        if width is None or len(indent) + len(note) <= width:
            ctx.out.write(f"{indent}{note}\n")
        else:
            import textwrap

            ctx.out.write(textwrap.fill(note, width, initial_indent=indent,
                                        subsequent_indent=indent + "  ", break_long_words=False,
                                        break_on_hyphens=False) + "\n")  # fmt: skip


def dropped_note(dropped: list[str], width: int | None) -> list[str]:
    """``Pominięte kolumny: Kto → komu, Okres — …``, or nothing when none were left out."""
    if not dropped:
        return []
    what = "Pominięta kolumna" if len(dropped) == 1 else "Pominięte kolumny"
    return [f"{what}: {', '.join(dropped)} — tabela mieści się w {width} znakach; wszystkie "
            "kolumny pokazuje opcja --wide"]  # fmt: skip
