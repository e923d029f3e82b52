"""``terminarz.records.Record`` behaves as ``typing.NamedTuple`` does (the type checker is
told it is one): the same record defined both ways answers every question the same."""

from __future__ import annotations

import pickle
from datetime import date
from typing import NamedTuple

import pytest

from terminarz.records import Record


class Typed(NamedTuple):
    id: str
    day: date | None
    tags: tuple[str, ...] = ()
    note: str = ""

    @property
    def label(self) -> str:
        return f"{self.id}:{self.note}"

    @classmethod
    def plain(cls, id: str) -> Typed:
        return cls(id=id, day=None)


class Fast(Record):
    id: str
    day: date | None
    tags: tuple[str, ...] = ()
    note: str = ""

    @property
    def label(self) -> str:
        return f"{self.id}:{self.note}"

    @classmethod
    def plain(cls, id: str) -> Fast:
        return cls(id=id, day=None)


DAY = date(2027, 1, 18)
CALLS = [
    ((), {"id": "a", "day": DAY}),
    (("a", DAY), {}),
    (("a",), {"day": DAY, "note": "x"}),
    (("a", None, ("t",), "n"), {}),
    ((), {"note": "n", "day": None, "id": "b", "tags": ("u", "v")}),
]
WRONG = [
    ((), {"id": "a"}),  # a field without a default is missing
    (("a", DAY, (), "n", "extra"), {}),  # too many
    (("a", DAY), {"id": "b"}),  # given twice
    ((), {"id": "a", "day": DAY, "colour": "red"}),  # no such field
]


@pytest.mark.parametrize(("args", "kwargs"), CALLS)
def test_the_same_record_either_way(args: tuple[object, ...], kwargs: dict[str, object]) -> None:
    typed, fast = Typed(*args, **kwargs), Fast(*args, **kwargs)  # type: ignore[arg-type]
    assert tuple(fast) == tuple(typed) and fast == typed and hash(fast) == hash(typed)
    assert repr(fast) == repr(typed).replace("Typed(", "Fast(")
    assert fast._asdict() == typed._asdict() and Fast._fields == Typed._fields
    assert Fast._field_defaults == Typed._field_defaults
    assert fast.label == typed.label and fast[0] == fast.id and len(fast) == 4
    changed = fast._replace(note="z", tags=())
    assert type(changed) is Fast and changed == typed._replace(note="z", tags=())
    assert Fast._make(list(typed)) == fast and isinstance(fast, tuple)
    again = pickle.loads(pickle.dumps(fast, protocol=5))
    assert type(again) is Fast and again == fast


@pytest.mark.parametrize(("args", "kwargs"), WRONG)
def test_wrong_arguments_are_refused_either_way(
    args: tuple[object, ...], kwargs: dict[str, object]
) -> None:
    with pytest.raises(TypeError):
        Typed(*args, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Fast(*args, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Fast("a", DAY)._replace(colour="red")


def test_a_record_cannot_be_changed_and_has_no_dictionary() -> None:
    fast = Fast.plain("a")
    assert fast == Fast(id="a", day=None)
    with pytest.raises(AttributeError):
        fast.id = "b"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        fast.colour = "red"  # type: ignore[attr-defined]
    assert not hasattr(fast, "__dict__")


def test_a_field_without_default_after_one_with_is_refused() -> None:
    with pytest.raises(TypeError):
        class Wrong(Record):
            a: int = 0
            b: int
    with pytest.raises(TypeError):
        class Hidden(Record):
            _a: int
