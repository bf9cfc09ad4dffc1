"""What instrumented code calls: every shared access becomes a scheduling point and an event.

The rewriter (``racelab.instrument.rewrite``) turns ``box['n'] += 1`` into calls of the
small functions below, bound into the module as ``__rl_gi``, ``__rl_si``, ... Each one
checks, first and cheaply, whether anything is listening (an exploration or a live run);
when nothing is, it performs the plain access and returns.

Which attribute reads are shared accesses
-----------------------------------------
Reading ``obj.method`` or ``module.function`` is not a data access worth a scheduling
point: code does not change under our feet. An attribute read is a *data* access when it
finds a value in the instance (``__dict__`` or slots), a plain class attribute, or a
non-callable module or class attribute. Properties are not (their bodies, when
instrumented, make their own accesses). ``threading.local`` attributes are private to a
thread and never shared.

Locations
---------
Each access names its location with a hashable key and a display name:
attributes ``(id(obj), "attr")`` / ``Account.balance``; items ``(id(obj), key)`` /
``box['n']`` (negative indices are normalised, slices become
``("slice", start, stop, step)``); module globals ``(module, name)`` / ``global hits``;
closure cells ``(id(scope), name)`` / ``nonlocal count``.
"""

from __future__ import annotations

import _thread
import array
import collections
import operator
import sys
import types
from typing import Any

from racelab._core import control
from racelab._core.control import ANY
from racelab._core.events import Op
from racelab.sync.files import tracked_open
from racelab.sync.threads import local

_tls = control._tls
_READ = Op.READ
_WRITE = Op.WRITE
_ModuleType = types.ModuleType
_getframe = sys._getframe

#: Built-in containers whose method calls are single atomic operations.
ATOMIC_TYPES = frozenset({
    list, dict, set, bytearray, collections.deque, collections.OrderedDict,
    collections.defaultdict, collections.Counter, array.array,
})
#: Containers whose items are data locations.
ITEM_TYPES = frozenset({
    list, dict, bytearray, memoryview, collections.deque, collections.OrderedDict,
    collections.defaultdict, collections.Counter, array.array,
})
_IMMUTABLE = frozenset({tuple, str, bytes, frozenset, range, int, float, type(None)})

_DATA, _SKIP, _INSTANCE, _DYNAMIC = 0, 1, 2, 3
#: Thread-local storage: ours under exploration, CPython's in live mode. Never shared.
_THREAD_LOCALS = (local, _thread._local)
_kinds: dict[tuple[type, str], int] = {}
_store_kinds: dict[tuple[type, str], int] = {}

_AUG = {name: getattr(operator, "i" + name) for name in (
    "add", "sub", "mul", "matmul", "truediv", "floordiv", "mod", "pow", "lshift", "rshift",
    "and", "or", "xor")}


def _class_attr(tp: type, name: str) -> Any:
    for klass in tp.__mro__:
        d = klass.__dict__
        if name in d:
            return d[name]
    return _MISSING


_MISSING = object()


def _load_kind(tp: type, name: str) -> int:
    if issubclass(tp, _ModuleType) or issubclass(tp, type):
        return _DYNAMIC
    if issubclass(tp, _THREAD_LOCALS):
        return _SKIP
    ca = _class_attr(tp, name)
    if ca is _MISSING:
        return _DATA
    kind_of = type(ca)
    if kind_of is types.MemberDescriptorType:
        return _DATA
    if hasattr(kind_of, "__set__") or hasattr(kind_of, "__delete__"):
        return _SKIP
    if hasattr(kind_of, "__get__"):
        return _INSTANCE
    return _DATA


def _store_kind(tp: type, name: str) -> int:
    if issubclass(tp, _THREAD_LOCALS):
        return _SKIP
    if issubclass(tp, _ModuleType) or issubclass(tp, type):
        return _DATA
    ca = _class_attr(tp, name)
    if ca is not _MISSING and type(ca) is not types.MemberDescriptorType and (
            hasattr(type(ca), "__set__") or hasattr(type(ca), "__delete__")):
        return _SKIP
    return _DATA


def _is_data_read(obj: Any, name: str) -> bool:
    tp = type(obj)
    key = (tp, name)
    kind = _kinds.get(key)
    if kind is None:
        kind = _kinds[key] = _load_kind(tp, name)
    if kind == _DATA:
        return True
    if kind == _SKIP:
        return False
    if kind == _INSTANCE:
        d = getattr(obj, "__dict__", None)
        return d is not None and name in d
    value = getattr(obj, name, None)
    return not (callable(value) or isinstance(value, _ModuleType))


def _is_data_write(obj: Any, name: str) -> bool:
    tp = type(obj)
    key = (tp, name)
    kind = _store_kinds.get(key)
    if kind is None:
        kind = _store_kinds[key] = _store_kind(tp, name)
    return kind == _DATA


def _owner_name(obj: Any) -> str:
    if isinstance(obj, type):
        return obj.__name__
    if isinstance(obj, _ModuleType):
        return obj.__name__
    return type(obj).__name__


_attr_names: dict[tuple[type, str], str] = {}


def _attr_name(obj: Any, name: str) -> str:
    """``Account.balance``: cached per type for instances, computed for classes and modules."""
    tp = type(obj)
    if tp is _ModuleType or isinstance(obj, type):
        return f"{_owner_name(obj)}.{name}"
    key = (tp, name)
    text = _attr_names.get(key)
    if text is None:
        text = _attr_names[key] = f"{tp.__name__}.{name}"
    return text


def _short(value: Any) -> str:
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a broken __repr__ must not break the trace
        text = f"<{type(value).__name__}>"
    return text if len(text) <= 60 else text[:57] + "..."


def _point(ex: control.Execution, task: control.Task, op: Op, loc: Any, obj: Any, name: str) -> None:
    """The scheduling point before an access, then its event."""
    ex.schedule(task, loc, op is _WRITE, op is _WRITE)
    if ex.verbose:
        ex.record_point(task, f"{op.value} {name}", name, _getframe(2))
    if ex.observers:
        ex.keepalive.append(obj)
        frame = _getframe(2)
        for obs in ex.observers:
            obs.access(task.tid, op, loc, name, frame)


# Live mode's attribute fast path: type -> attr -> the location's display name when every
# access of that attribute through that type is a data access, "" when none is. Types whose
# answer depends on the object (modules, classes, descriptors found on the instance) are not
# cached: their helpers below answer per call. (Two dicts deep, not keyed by (type, attr):
# a fresh tuple key costs an allocation, a hash and a comparison per access.)
_live_loads: dict[type, dict[str, str]] = {}
_live_stores: dict[type, dict[str, str]] = {}
_NO_NAMES: dict[str, str] = {}


def _live_load_name(obj: Any, name: str) -> str:
    """The display name of a data read of ``obj.name``, "" when it is not one (see ``ga``)."""
    tp = type(obj)
    kind = _kinds.get((tp, name))
    if kind is None:
        kind = _kinds[(tp, name)] = _load_kind(tp, name)
    if kind == _DATA or kind == _SKIP:
        text = _live_loads.setdefault(tp, {})[name] = _attr_name(obj, name) if kind == _DATA else ""
        return text
    return _attr_name(obj, name) if _is_data_read(obj, name) else ""


def _live_store_name(obj: Any, name: str) -> str:
    """The display name of a data write of ``obj.name``, "" when it is not one (see ``sa``)."""
    tp = type(obj)
    text = _attr_name(obj, name) if _is_data_write(obj, name) else ""
    if not issubclass(tp, (_ModuleType, type)):
        _live_stores.setdefault(tp, {})[name] = text
    return text


def _live_access(op: Op, loc: Any, name: str, obj: Any) -> None:
    live = control.live
    if live is not None:
        live.access(-1, op, loc, name, _getframe(2), obj)


# ---- attributes -----------------------------------------------------------------------


def ga(obj: Any, name: str) -> Any:
    ex = control._active
    if ex is None:
        live = control.live
        if live is not None:
            text = _live_loads.get(type(obj), _NO_NAMES).get(name)
            if text is None:
                text = _live_load_name(obj, name)
            if text:
                live.access(-1, _READ, (id(obj), name), text, _getframe(1), obj)
        return getattr(obj, name)
    task = getattr(_tls, "task", None)
    if task is None or not _is_data_read(obj, name):
        return getattr(obj, name)
    _point(ex, task, _READ, (id(obj), name), obj, _attr_name(obj, name))
    value = getattr(obj, name)
    if ex.verbose:
        ex.note_value("-> " + _short(value))
    return value


def sa(obj: Any, name: str, value: Any) -> None:
    ex = control._active
    if ex is None:
        live = control.live
        if live is not None:
            text = _live_stores.get(type(obj), _NO_NAMES).get(name)
            if text is None:
                text = _live_store_name(obj, name)
            if text:
                live.access(-1, _WRITE, (id(obj), name), text, _getframe(1), obj)
        setattr(obj, name, value)
        return
    task = getattr(_tls, "task", None)
    if task is not None and _is_data_write(obj, name):
        _point(ex, task, _WRITE, (id(obj), name), obj, _attr_name(obj, name))
        if ex.verbose:
            ex.note_value("<- " + _short(value))
    setattr(obj, name, value)


def aa(obj: Any, name: str, op: Any, operand: Any) -> None:
    """``obj.name op= operand``, ``op`` being ``operator.iadd`` or one of its kin: ``ga``,
    ``op``, then ``sa``, in one call.

    The rewriter uses it when ``operand`` is a constant or a parameter that is never
    unbound, whose evaluation before the read (it is an argument here) has no effect and
    cannot fail. The bodies of ``ga`` and ``sa`` are repeated here rather than called, so
    that the frames looked up (``_getframe(1)``, ``_point``'s ``_getframe(2)``) are the
    caller's, as in ``ga`` and ``sa``.
    """
    ex = control._active
    if ex is None:
        live = control.live
        if live is not None:
            text = _live_loads.get(type(obj), _NO_NAMES).get(name)
            if text is None:
                text = _live_load_name(obj, name)
            if text:
                live.access(-1, _READ, (id(obj), name), text, _getframe(1), obj)
        value = getattr(obj, name)
    else:
        task = getattr(_tls, "task", None)
        if task is None or not _is_data_read(obj, name):
            value = getattr(obj, name)
        else:
            _point(ex, task, _READ, (id(obj), name), obj, _attr_name(obj, name))
            value = getattr(obj, name)
            if ex.verbose:
                ex.note_value("-> " + _short(value))
    value = op(value, operand)
    ex = control._active
    if ex is None:
        live = control.live
        if live is not None:
            text = _live_stores.get(type(obj), _NO_NAMES).get(name)
            if text is None:
                text = _live_store_name(obj, name)
            if text:
                live.access(-1, _WRITE, (id(obj), name), text, _getframe(1), obj)
        setattr(obj, name, value)
        return
    task = getattr(_tls, "task", None)
    if task is not None and _is_data_write(obj, name):
        _point(ex, task, _WRITE, (id(obj), name), obj, _attr_name(obj, name))
        if ex.verbose:
            ex.note_value("<- " + _short(value))
    setattr(obj, name, value)


def da(obj: Any, name: str) -> None:
    ex = control._active
    if ex is None:
        if control.live is not None and _is_data_write(obj, name):
            _live_access(_WRITE, (id(obj), name), _attr_name(obj, name), obj)
        delattr(obj, name)
        return
    task = getattr(_tls, "task", None)
    if task is not None and _is_data_write(obj, name):
        _point(ex, task, _WRITE, (id(obj), name), obj, f"del {_owner_name(obj)}.{name}")
    delattr(obj, name)


# ---- items ----------------------------------------------------------------------------


def _item_key(obj: Any, key: Any) -> Any:
    if type(key) is int:
        if key < 0:
            try:
                key += len(obj)
            except TypeError:
                pass
        return key
    if type(key) is slice:
        try:
            return ("slice",) + key.indices(len(obj))
        except TypeError:
            return ("slice", key.start, key.stop, key.step)
    try:
        hash(key)
    except TypeError:
        return ("unhashable", id(key))
    return key


def _item_name(src: str, key: Any) -> str:
    if type(key) is slice:
        parts = ["" if v is None else repr(v) for v in (key.start, key.stop)]
        text = ":".join(parts) + ("" if key.step is None else f":{key.step!r}")
        return f"{src}[{text}]"
    return f"{src}[{key!r}]"


def _item_point(ex: control.Execution, task: control.Task, op: Op, obj: Any, key: Any, src: str,
                whole: bool = False) -> bool:
    tp = type(obj)
    if tp in ITEM_TYPES:
        name = _item_name(src, key)
        if ex.step_hook is not None:
            # a slice or a deletion concerns the whole container (indices shift, ranges overlap)
            whole = whole or type(key) is slice
            ex.schedule(task, id(obj) if whole else (id(obj), _item_key(obj, key)), op is _WRITE, op is _WRITE)
        else:
            ex.schedule(task, ANY, op is _WRITE, op is _WRITE)
        if ex.verbose:
            ex.record_point(task, f"{op.value} {name}", name, _getframe(2))
        if ex.observers:
            ex.keepalive.append(obj)
            frame = _getframe(2)
            loc = (id(obj), _item_key(obj, key))
            for obs in ex.observers:
                obs.access(task.tid, op, loc, name, frame)
        return True
    if tp in _IMMUTABLE:
        return False
    ex.schedule(task, id(obj), True)
    if ex.verbose:
        ex.record_point(task, f"{op.value} {src}[...] ({tp.__name__})", None, _getframe(2))
    return False


def gi(obj: Any, key: Any, src: str) -> Any:
    ex = control._active
    if ex is None:
        if control.live is not None and type(obj) in ITEM_TYPES:
            _live_access(_READ, (id(obj), _item_key(obj, key)), _item_name(src, key), obj)
        return obj[key]
    task = getattr(_tls, "task", None)
    if task is None:
        return obj[key]
    data = _item_point(ex, task, _READ, obj, key, src)
    value = obj[key]
    if data and ex.verbose:
        ex.note_value("-> " + _short(value))
    return value


def si(obj: Any, key: Any, value: Any, src: str) -> None:
    ex = control._active
    if ex is None:
        if control.live is not None and type(obj) in ITEM_TYPES:
            _live_access(_WRITE, (id(obj), _item_key(obj, key)), _item_name(src, key), obj)
        obj[key] = value
        return
    task = getattr(_tls, "task", None)
    if task is not None:
        if _item_point(ex, task, _WRITE, obj, key, src) and ex.verbose:
            ex.note_value("<- " + _short(value))
    obj[key] = value


def di(obj: Any, key: Any, src: str) -> None:
    """``del obj[key]``: for ordering purposes it changes the whole container (indices shift)."""
    ex = control._active
    if ex is None:
        if control.live is not None and type(obj) in ITEM_TYPES:
            _live_access(_WRITE, (id(obj), _item_key(obj, key)), _item_name(src, key), obj)
        del obj[key]
        return
    task = getattr(_tls, "task", None)
    if task is not None:
        _item_point(ex, task, _WRITE, obj, key, src, True)
    del obj[key]


# ---- globals and closure cells --------------------------------------------------------


def _name_point(op: Op, loc: Any, name: str, obj: Any) -> bool:
    """The point before a global or cell access; True when it was traced (verbose mode)."""
    ex = control._active
    if ex is None:
        if control.live is not None:
            control.live.access(-1, op, loc, name, _getframe(2), None if isinstance(obj, str) else obj)
        return False
    task = getattr(_tls, "task", None)
    if task is None:
        return False
    ex.schedule(task, loc, op is _WRITE, op is _WRITE)
    if ex.verbose:
        ex.record_point(task, f"{op.value} {name}", name, _getframe(2))
    if ex.observers:
        ex.keepalive.append(obj)
        frame = _getframe(2)
        for obs in ex.observers:
            obs.access(task.tid, op, loc, name, frame)
    return ex.verbose


def gr(module: str, name: str) -> None:
    """Before reading global ``name``; returns None so ``(gr(...) or name)`` reads it right after."""
    if _name_point(_READ, (module, name), f"global {name}", module):
        control._active.note_value("-> " + _short(_getframe(1).f_globals.get(name)))  # type: ignore[union-attr]


def gw(module: str, name: str, value: Any) -> Any:
    """Before writing global ``name``; returns the value to store."""
    if _name_point(_WRITE, (module, name), f"global {name}", module):
        control._active.note_value("<- " + _short(value))  # type: ignore[union-attr]
    return value


class Scope:
    """Identity of one activation of a function whose local is rebound by inner functions."""

    __slots__ = ("__weakref__",)


def scope() -> Scope:
    return Scope()


def cr(owner: Scope, name: str) -> None:
    if _name_point(_READ, (id(owner), name), f"nonlocal {name}", owner):
        value = _getframe(1).f_locals.get(name, "<unbound>")
        control._active.note_value("-> " + _short(value))  # type: ignore[union-attr]


def cw(owner: Scope, name: str, value: Any) -> Any:
    if _name_point(_WRITE, (id(owner), name), f"nonlocal {name}", owner):
        control._active.note_value("<- " + _short(value))  # type: ignore[union-attr]
    return value


# ---- calls ----------------------------------------------------------------------------


def mc(obj: Any, name: str, /, *args: Any, **kwargs: Any) -> Any:
    """``obj.name(*args, **kwargs)``: atomic on built-in containers."""
    ex = control._active
    if ex is None:
        if control.live is not None and type(obj) in ATOMIC_TYPES:
            control.live.atomic(-1, id(obj))
        return getattr(obj, name)(*args, **kwargs)
    task = getattr(_tls, "task", None)
    if task is not None:
        tp = type(obj)
        if tp in ATOMIC_TYPES:
            ex.schedule(task, id(obj), True, True)
            if ex.verbose:
                ex.record_point(task, f"{tp.__name__}.{name}()", None, _getframe(1))
            if ex.observers:
                ex.keepalive.append(obj)
                for obs in ex.observers:
                    obs.atomic(task.tid, id(obj))
        elif tp not in _IMMUTABLE and not isinstance(obj, (_ModuleType, type)) and _is_data_read(obj, name):
            _point(ex, task, _READ, (id(obj), name), obj, _attr_name(obj, name))
    return getattr(obj, name)(*args, **kwargs)


class SharedGenerator:
    """A generator being iterated under control: each ``next`` is a scheduling point.

    A generator is shared state: while one thread is inside it, another thread's ``next``
    fails with "generator already executing". Iterating one in a ``for`` loop or with
    ``next()`` is therefore an atomic step on the generator object.
    """

    __slots__ = ("_gen",)

    def __init__(self, gen: Any) -> None:
        self._gen = gen

    def __iter__(self) -> "SharedGenerator":
        return self

    def __next__(self) -> Any:
        _generator_point(self._gen)
        try:
            return next(self._gen)
        finally:
            _generator_left(self._gen)


def _generator_point(gen: Any) -> None:
    ex = control._active
    if ex is None:
        return
    task = getattr(_tls, "task", None)
    if task is None:
        return
    ex.schedule(task, id(gen), True)
    if ex.verbose:
        ex.record_point(task, f"next({getattr(gen, '__name__', 'generator')})", None, _getframe(2))
    if ex.observers:
        ex.keepalive.append(gen)
        for obs in ex.observers:
            obs.atomic(task.tid, id(gen))


def _generator_left(gen: Any) -> None:
    """The generator gave control back: another ``next`` may now enter it."""
    ex = control._active
    if ex is not None and ex.step_hook is not None:
        task = getattr(_tls, "task", None)
        if task is not None:
            ex.note_op(task, id(gen), True)


def it(obj: Any) -> Any:
    """``for x in obj``: generators are iterated one scheduling point per item."""
    if type(obj) is types.GeneratorType and control._active is not None:
        return SharedGenerator(obj)
    return obj


def nx(gen: Any, *default: Any) -> Any:
    """``next(gen[, default])``."""
    if type(gen) is not types.GeneratorType:
        return next(gen, *default)
    _generator_point(gen)
    try:
        return next(gen, *default)
    finally:
        _generator_left(gen)


def amsg(source: str, left: Any, op: str, right: Any) -> str:
    return f"assert {source}  ({_short(left)} {op} {_short(right)})"


HELPERS: dict[str, Any] = {
    "__rl_ga__": ga, "__rl_sa__": sa, "__rl_aa__": aa, "__rl_da__": da,
    "__rl_gi__": gi, "__rl_si__": si, "__rl_di__": di,
    "__rl_gr__": gr, "__rl_gw__": gw, "__rl_cr__": cr, "__rl_cw__": cw, "__rl_scope__": scope,
    "__rl_mc__": mc, "__rl_amsg__": amsg,
    **{f"__rl_i{name}__": function for name, function in _AUG.items()},
    "__rl_open__": tracked_open, "__rl_slice__": slice, "__rl_it__": it, "__rl_nx__": nx,
}
