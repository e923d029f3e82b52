"""Immutable records: what ``typing.NamedTuple`` makes, at a fraction of its cost per class.

A module defines its records as ``class Party(Record): id: str; name: str = ""``. For the
type checker ``Record`` *is* ``typing.NamedTuple`` (imported under ``TYPE_CHECKING``), so
constructors, fields and ``_replace`` are checked exactly as for a named tuple. At run time
it is the base below: a ``tuple`` whose fields are read-only properties, built by a
metaclass from the class's annotations and defaults, with the named tuple's interface
(keyword or positional construction, defaults, ``_fields``, ``_field_defaults``,
``_replace``, ``_asdict``, ``_make``, the same ``repr``, equality, hash and pickling).

Why not ``typing.NamedTuple`` itself: defining one compiles its ``__new__`` from source and
checks every annotation (compiling each postponed one), about 1.3 million instructions a
class (measured), and a short command defines some fifty records at every start; this base
costs under half of that and nothing is compiled.
"""

from __future__ import annotations

from operator import itemgetter

__all__ = ["Record"]


class _RecordType(type):
    """Makes each subclass of :class:`Record` a named tuple: its annotations, in order, are
    its fields (each a read-only property), a class attribute of the same name is the
    field's default, and ``__slots__`` is empty (no instance dictionary)."""

    def __new__(mcls, name: str, bases: tuple[type, ...], namespace: dict[str, Any]) -> Any:
        namespace.setdefault("__slots__", ())
        if "_fields" not in namespace:  # a record class (not the base itself)
            fields: list[str] = []
            defaults: dict[str, Any] = {}
            for field in namespace.get("__annotations__", {}):
                if field.startswith("_"):
                    raise TypeError(f"{name}: a field name may not start with '_': {field}")
                if field in namespace:
                    defaults[field] = namespace[field]
                elif defaults:
                    raise TypeError(f"{name}: field {field} without a default follows "
                                    f"fields with defaults")  # fmt: skip
                namespace[field] = property(itemgetter(len(fields)))
                fields.append(field)
            namespace["_fields"] = tuple(fields)
            namespace["_field_defaults"] = defaults
        return super().__new__(mcls, name, bases, namespace)


class _Record(tuple, metaclass=_RecordType):  # type: ignore[type-arg]
    __slots__ = ()
    _fields: ClassVar[tuple[str, ...]] = ()
    _field_defaults: ClassVar[dict[str, Any]] = {}

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        fields = cls._fields
        given = len(args)
        if given == len(fields) and not kwargs:
            return tuple.__new__(cls, args)
        if given > len(fields):
            raise TypeError(f"{cls.__name__}() takes {len(fields)} arguments, {given} given")
        defaults = cls._field_defaults
        rest = []
        for field in fields[given:]:
            if field in kwargs:
                rest.append(kwargs.pop(field))
            elif field in defaults:
                rest.append(defaults[field])
            else:
                raise TypeError(f"{cls.__name__}() missing required argument: {field!r}")
        if kwargs:
            raise TypeError(f"{cls.__name__}() got unexpected or repeated arguments: "
                            f"{', '.join(sorted(kwargs))}")  # fmt: skip
        return tuple.__new__(cls, (*args, *rest))

    def __repr__(self) -> str:
        pairs = zip(self._fields, self, strict=True)
        inner = ", ".join(f"{name}={value!r}" for name, value in pairs)
        return f"{type(self).__name__}({inner})"

    def __getnewargs__(self) -> tuple[Any, ...]:
        return tuple(self)

    def _replace(self, **changes: Any) -> Any:
        pairs = zip(self._fields, self, strict=True)
        values = [changes.pop(name, value) for name, value in pairs]
        if changes:
            raise TypeError(f"{type(self).__name__} has no fields {', '.join(sorted(changes))}")
        return tuple.__new__(type(self), values)

    def _asdict(self) -> dict[str, Any]:
        return dict(zip(self._fields, self, strict=True))

    @classmethod
    def _make(cls, iterable: Any) -> Any:
        values = tuple(iterable)
        if len(values) != len(cls._fields):
            raise TypeError(f"{cls.__name__}: expected {len(cls._fields)} values, "
                            f"got {len(values)}")  # fmt: skip
        return tuple.__new__(cls, values)


TYPE_CHECKING = False  # typing's constant, without importing typing at every start
if TYPE_CHECKING:
    from typing import Any, ClassVar
    from typing import NamedTuple as Record
else:
    Record = _Record
