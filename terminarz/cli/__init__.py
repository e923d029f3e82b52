"""The ``terminarz`` command: a thin shell over the library, one module per command group.

It may import every layer; it keeps only arguments, printing and exit codes, and with the
scheduler it is the only place that reads the clock (Europe/Warsaw).

This is the one error boundary: a :class:`~terminarz.errors.TerminarzError` (the
user's mistake) becomes a Polish message on stderr and exit code 2.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from terminarz.cli import core, duties, feeds, remind
from terminarz.cli.common import EXIT_USAGE, Context, PolishParser
from terminarz.errors import TerminarzError

DESCRIPTION = """\
terminarz — terminy sprawozdań i dyżury w polskiej administracji publicznej.

Oblicza terminy obowiązków sprawozdawczych na kalendarzu polskich dni roboczych
i tłumaczy, skąd się wzięły.
"""

EXAMPLES = """\
Przykłady:
  terminarz due                                  co jest do zrobienia w tym miesiącu
  terminarz due --month 2026-01 --level ops      terminy ośrodka pomocy społecznej
  terminarz explain mpips-02.zal@rup/2025        dlaczego ten termin wypada tego dnia
  terminarz workdays --month 2025-12             dni robocze i święta grudnia 2025 r.
  terminarz catalogue                            wszystkie obowiązki z podstawą prawną
  terminarz check                                sprawdź pliki katalogów
  terminarz who mpips-03@ops/2026 --config terminarz.toml   kto odpowiada i dlaczego
  terminarz request mpips-03@ops/2026 --unit dokip          pismo z prośbą o dane (II.4)
  terminarz feed --config terminarz.toml --out kalendarze   kalendarze .ics do subskrypcji
  terminarz serve --config terminarz.toml                   serwer HTTP z kalendarzami
  terminarz remind --config terminarz.toml                  przypomnienia e-mail (cron)
  terminarz done mpips-03@ops/2026 --by kier-dokip          sprawozdanie wysłane
"""


def build_parser() -> PolishParser:
    parser = PolishParser(prog="terminarz", description=DESCRIPTION, epilog=EXAMPLES)
    sub = parser.add_subparsers(
        title="polecenia", dest="command", metavar="POLECENIE", parser_class=PolishParser
    )
    core.register(sub)
    duties.register(sub)
    feeds.register(sub)
    remind.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    ctx = Context(args=args)
    try:
        code: int = args.handler(ctx)
    except TerminarzError as exc:
        sys.stderr.write(f"terminarz: błąd: {exc}\n")
        return EXIT_USAGE
    except BrokenPipeError:
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        sys.stderr.write("terminarz: przerwano\n")
        return 130
    sys.stdout.flush()
    return code


if __name__ == "__main__":
    raise SystemExit(main())
