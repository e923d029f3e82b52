"""Compiled templates kept in the user's cache folder (:mod:`terminarz.templating`).

A template is compiled once: a second environment (another process, another run) reads its
compiled code back instead, and renders the same text; an edited template is compiled again;
a cache folder that cannot be made, or a damaged entry, costs only the compiling.
"""

from __future__ import annotations

import os
from pathlib import Path

import jinja2
import pytest

from terminarz.templating import bytecode_cache


def environment(folder: Path, kind: str = "proba") -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(folder)),
                              undefined=jinja2.StrictUndefined, trim_blocks=True,
                              bytecode_cache=bytecode_cache(kind))  # fmt: skip


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "terminarz" / "templates"


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    folder = tmp_path / "szablony"
    folder.mkdir()
    (folder / "pismo.txt.j2").write_text(
        "{% for n in numery %}\nSprawozdanie nr {{ n }}\n{% endfor %}", encoding="utf-8"
    )
    return folder


def compiled(env: jinja2.Environment, name: str, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Whether loading ``name`` into ``env`` compiled it (rather than reading the cache)."""
    calls = []
    original = env.compile

    def counted(*args: object, **kwargs: object) -> object:
        calls.append(args)
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(env, "compile", counted)
    env.get_template(name)
    return bool(calls)


def test_a_template_is_compiled_once_and_read_back_by_the_next_environment(
    cache: Path, templates: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = environment(templates)
    assert compiled(first, "pismo.txt.j2", monkeypatch)
    assert len(list((cache / "proba").iterdir())) == 1
    second = environment(templates)
    assert not compiled(second, "pismo.txt.j2", monkeypatch)
    text = "Sprawozdanie nr 1\nSprawozdanie nr 2\n"
    assert second.get_template("pismo.txt.j2").render(numery=[1, 2]) == text
    assert first.get_template("pismo.txt.j2").render(numery=[1, 2]) == text


def test_an_edited_template_is_compiled_again(
    cache: Path, templates: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    environment(templates).get_template("pismo.txt.j2")
    (templates / "pismo.txt.j2").write_text("Termin: {{ dzien }}", encoding="utf-8")
    env = environment(templates)
    assert compiled(env, "pismo.txt.j2", monkeypatch)
    assert env.get_template("pismo.txt.j2").render(dzien="15.01.2027") == "Termin: 15.01.2027"


def test_each_kind_of_environment_keeps_its_own_code(
    cache: Path, templates: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same file under other settings compiles to other code: never shared."""
    environment(templates, "listy").get_template("pismo.txt.j2")
    assert compiled(environment(templates, "strony"), "pismo.txt.j2", monkeypatch)
    assert sorted(p.name for p in cache.iterdir()) == ["listy", "strony"]


def test_a_folder_that_cannot_be_made_costs_only_the_compiling(
    tmp_path: Path, templates: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "plik"
    blocker.write_text("nie katalog", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # terminarz/ cannot be made under a file
    for _ in range(2):
        env = environment(templates)
        assert compiled(env, "pismo.txt.j2", monkeypatch)
        assert env.get_template("pismo.txt.j2").render(numery=[7]) == "Sprawozdanie nr 7\n"


def test_a_damaged_entry_is_compiled_again_and_replaced(
    cache: Path, templates: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    environment(templates).get_template("pismo.txt.j2")
    (entry,) = (cache / "proba").iterdir()
    entry.write_bytes(entry.read_bytes()[:40])
    env = environment(templates)
    assert compiled(env, "pismo.txt.j2", monkeypatch)
    assert env.get_template("pismo.txt.j2").render(numery=[3]) == "Sprawozdanie nr 3\n"
    assert not compiled(environment(templates), "pismo.txt.j2", monkeypatch)


def test_the_mails_render_alike_from_the_cache(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reminders' renderer: every mail of the example (each kind, step, tier and
    variant) has the same subject, text and HTML whether its templates were compiled or
    read back from the cache."""
    from test_formal_polish import _all_views

    from terminarz.notify.mail import MailRenderer

    views = _all_views(tmp_path)
    compiling, reading = MailRenderer(), MailRenderer()
    first = [compiling.render_view(kind, view) for _, (kind, view) in views]  # type: ignore[misc]
    assert os.listdir(cache) == ["mail"] and len(os.listdir(cache / "mail")) > 10
    monkeypatch.setattr(reading.env, "compile", None)  # reading back only: compiling fails
    again = [reading.render_view(kind, view) for _, (kind, view) in views]  # type: ignore[misc]
    assert again == first and len(first) > 100
