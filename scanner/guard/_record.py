"""``dataclass``/``field``: the part of :func:`dataclasses.dataclass` the hook path uses, at a fraction of the cost.

Importing :mod:`dataclasses` pulls in ``inspect`` (and with it ``ast``, ``dis``, ``tokenize``), and
decorating a class ``exec``-compiles five or six functions; for the guard's fourteen classes that was
about a fifth of a hook call. This ``dataclass`` builds the same class surface (positional/keyword
``__init__`` with defaults and ``field(default_factory=...)``, ``__repr__``, ``__eq__``,
``__match_args__``; with ``frozen=True`` assignment raises :class:`FrozenInstanceError` (an
``AttributeError``, like dataclasses') and instances hash by their fields; otherwise ``__hash__`` is
None), compiling only ``__init__``. Type checkers see the real ``dataclasses.dataclass``.

Not supported (and not used here): inheritance between such classes, ``ClassVar``/``InitVar``,
``field()`` arguments other than ``default_factory``, ``dataclasses.fields``/``asdict``/``replace``.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dataclasses import FrozenInstanceError as FrozenInstanceError
    from dataclasses import dataclass as dataclass
    from dataclasses import field as field
else:
    class FrozenInstanceError(AttributeError):
        """Assignment to a field of a frozen class."""

    class _Factory:
        __slots__ = ("factory",)

        def __init__(self, factory):
            self.factory = factory

    _MISSING = object()

    def field(*, default_factory):
        return _Factory(default_factory)

    def _frozen_setattr(self, name, value):
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def _frozen_delattr(self, name):
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def _build(cls, frozen):
        names = tuple(cls.__dict__.get("__annotations__", {}))
        namespace = {"_MISSING": _MISSING, "_set": object.__setattr__}
        params, body = [], []
        for name in names:
            value = cls.__dict__.get(name, _MISSING)
            if isinstance(value, _Factory):
                namespace[f"_f_{name}"] = value.factory
                params.append(f"{name}=_MISSING")
                expr = f"_f_{name}() if {name} is _MISSING else {name}"
                delattr(cls, name)
            elif value is not _MISSING:
                namespace[f"_d_{name}"] = value
                params.append(f"{name}=_d_{name}")
                expr = name
            else:
                if any("=" in p for p in params):
                    raise TypeError(f"non-default argument {name!r} follows default argument")
                params.append(name)
                expr = name
            body.append(f"    _set(self, {name!r}, {expr})" if frozen else f"    self.{name} = {expr}")
        source = f"def __init__(self, {', '.join(params)}):\n" + ("\n".join(body) or "    pass") + "\n"
        exec(compile(source, f"<dataclass {cls.__qualname__}>", "exec"), namespace)
        init = namespace["__init__"]
        init.__qualname__ = f"{cls.__qualname__}.__init__"

        def __repr__(self):
            return f"{type(self).__qualname__}(" + ", ".join(f"{n}={getattr(self, n)!r}" for n in names) + ")"

        def __eq__(self, other):
            if other.__class__ is self.__class__:
                return tuple(getattr(self, n) for n in names) == tuple(getattr(other, n) for n in names)
            return NotImplemented

        cls.__init__ = init
        cls.__repr__ = __repr__
        cls.__eq__ = __eq__
        cls.__match_args__ = names
        if frozen:
            cls.__setattr__ = _frozen_setattr
            cls.__delattr__ = _frozen_delattr

            def __hash__(self):
                return hash(tuple(getattr(self, n) for n in names))

            cls.__hash__ = __hash__
        else:
            cls.__hash__ = None
        return cls

    def dataclass(cls=None, /, *, frozen=False):
        if cls is None:
            return lambda c: _build(c, frozen)
        return _build(cls, frozen)
