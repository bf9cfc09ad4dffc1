"""What instrumented code calls: every shared access becomes a scheduling point and an event.

The rewriter (``racelab.instrument.rewrite``) turns ``box['n'] += 1`` into calls of the
small functions below, found as ``__rl_*__`` names in ``builtins`` (never in the module's
own namespace). Each checks, first and cheaply, whether anything is listening (an
exploration or a live run); when nothing is, it returns at once.

Why this shape: announce, then let the program's own frame act
--------------------------------------------------------------
Most helpers only *announce* an access (the scheduling point and the detectors' event) and
return the object; the access itself is then ordinary bytecode in the program's frame:
``o.a`` becomes ``__rl_ra__(o, 'a').a``, ``c[k] = v`` becomes ``__rl_wi__(c, k, 'c')[k] = v``,
``len(x)`` becomes ``len(__rl_sz__(x))``. So a property, ``__getattr__``, ``__setitem__``
or method runs exactly once, called from the program's own frame (``sys._getframe(1)``,
``warnings.warn(stacklevel=2)`` and tracebacks see what they see without racelab), private
names are mangled by the compiler as usual, and *deciding* whether an access is shared data
never runs the program's code: it looks only at types' ``__dict__`` and ``__mro__`` and
at instance dictionaries. The exceptions are documented where they are made: a method of a
built-in container (its call is the atomic step, so the point must come after its arguments
are evaluated: ``_Call``) and a few fallbacks the rewriter uses where it cannot keep an
evaluated operand without a temporary.

Which attribute reads are shared accesses
-----------------------------------------
A read of an attribute is a *data* read (a scheduling point and a race-detector read) when
it finds a value in the instance (``__dict__`` or slots), a plain class attribute, or a
module's or class's non-code attribute. Reading a method, a module's function or a class is
not a scheduling point (code rarely changes under our feet), but DPOR is still told of it,
so that a write of that name elsewhere is ordered against it. Properties and other data
descriptors are not accesses themselves: their bodies, when instrumented, make their own.
``threading.local`` attributes are private to a thread and never shared.

Containers
----------
Built-in containers (``list``, ``dict``, ``set``, ``bytearray``, ``deque``, ``array``, their
subclasses' inherited methods, and dict views) are modelled: an item access is keyed
(``(id(c), key)``), ``len`` and truthiness read the size (``(id(c), SIZE)``), and iteration,
copies, comparisons, ``repr`` and every other whole-container read read ``(id(c), WHOLE)``.
A method call is one atomic step whose location follows from the method (``d.get(k)`` is a
keyed read, ``lst.append(x)`` changes the whole list, ...). Each ``next`` of an iteration is
a scheduling point. A write that adds or removes an item also writes the size.

Locations
---------
attributes ``(id(obj), name)`` (the mangled name; ``Account.balance``); module attributes
and globals ``(id(module.__dict__), name)``; items ``(id(c), key)`` (negative indices
normalised, slices ``("slice", start, stop, step)``); closure cells ``(id(scope), name)``.
An instance's ``__dict__`` taken through instrumented code is an alias of the instance.
"""

from __future__ import annotations

import _thread
import array
import builtins
import collections
import dataclasses
import functools
import gc
import operator
import reprlib
import sys
import types
import weakref
from typing import Any, Callable

from racelab._core import control
from racelab._core.events import SIZE, WHOLE, Op
from racelab.instrument.stdlib import reads_arguments
from racelab.sync.files import tracked_open
from racelab.sync.threads import local

_tls = control._tls
_READ = Op.READ
_WRITE = Op.WRITE
_ModuleType = types.ModuleType
_getframe = sys._getframe
_object_getattribute = object.__getattribute__
_module_dict: Callable[[Any], dict[str, Any]] = types.ModuleType.__dict__["__dict__"].__get__  # type: ignore[assignment]
_type_dict = type.__dict__["__dict__"].__get__
_type_name: Callable[[type], str] = type.__dict__["__name__"].__get__  # type: ignore[assignment]

#: Modules the rewriter produced (names), filled by the import hook.
INSTRUMENTED: set[str] = set()

# --------------------------------------------------------------------------------------
# what an object is

#: Built-in containers whose method calls are single atomic operations (exact types).
ATOMIC_TYPES = frozenset({
    list, dict, set, bytearray, collections.deque, collections.OrderedDict,
    collections.defaultdict, collections.Counter, array.array,
})
_CONTAINER_BASES = (list, dict, set, bytearray, collections.deque, array.array)
_VIEW_TYPES = frozenset({
    type({}.keys()), type({}.values()), type({}.items()),
    type(collections.OrderedDict().keys()), type(collections.OrderedDict().values()),
    type(collections.OrderedDict().items()),
})
_IMMUTABLE = frozenset({tuple, str, bytes, frozenset, range, int, float, complex, bool, type(None)})
#: Key types whose hashing and comparison run no Python code.
_SIMPLE_KEYS = frozenset({str, int, bytes, float, bool, type(None), complex})

_OTHER, _CONTAINER, _VIEW, _MEMORYVIEW = 0, 1, 2, 3
_type_kinds: dict[type, int] = {}
#: Thread-local storage: ours under exploration, CPython's in live mode. Never shared.
_THREAD_LOCALS = (local, _thread._local)


def _type_kind(tp: type) -> int:
    kind = _type_kinds.get(tp)
    if kind is None:
        if tp in _VIEW_TYPES:
            kind = _VIEW
        elif tp is memoryview:
            kind = _MEMORYVIEW
        elif issubclass(tp, _CONTAINER_BASES):
            kind = _CONTAINER
        else:
            kind = _OTHER
        _type_kinds[tp] = kind
    return kind


def _view_owner(view: Any) -> Any:
    for referent in gc.get_referents(view):
        if issubclass(type(referent), dict):
            return referent
    return None


def container_of(obj: Any) -> Any:
    """The built-in container whose contents an operation on ``obj`` reads, or None."""
    kind = _type_kinds.get(type(obj))
    if kind is None:
        kind = _type_kind(type(obj))
    if kind == _CONTAINER:
        return obj
    if kind == _VIEW:
        return _view_owner(obj)
    if kind == _MEMORYVIEW:
        return obj.obj
    return None


def _simple_key(key: Any) -> bool:
    tp = type(key)
    if tp in _SIMPLE_KEYS:
        return True
    return tp is tuple and all(type(k) in _SIMPLE_KEYS for k in key)


# --------------------------------------------------------------------------------------
# where code comes from: instrumented, the standard library, racelab, or neither

_ORIGIN_INSTRUMENTED, _ORIGIN_STDLIB, _ORIGIN_OTHER = 0, 1, 2
_STDLIB = frozenset(sys.stdlib_module_names) | {"builtins", "racelab", "racelab_pytest", "_pytest", "pytest",
                                                "pluggy", "hypothesis", "sortedcontainers"}


def _origin(module: Any) -> int:
    if not issubclass(type(module), str):
        return _ORIGIN_STDLIB
    if module in INSTRUMENTED:
        return _ORIGIN_INSTRUMENTED
    top = module.partition(".")[0]
    if top in _STDLIB or top.startswith("_"):
        return _ORIGIN_STDLIB
    return _ORIGIN_OTHER


def _unseen_call(ex: control.Execution, task: control.Task, module: str, what: str) -> None:
    """Code of a module that is not instrumented ran while other threads were alive."""
    top = module.partition(".")[0]
    if top in ex.unseen:
        return
    if _others_alive(ex, task):
        ex.note_unseen(top, f"{what} from module {module} ran uninstrumented while other threads were "
                            f"running: racelab cannot see what it shares (instrument it: --instrument {top})")


def _others_alive(ex: control.Execution, task: control.Task) -> bool:
    return any(other is not task and other.state is not control.DONE for other in ex.tasks)


# --------------------------------------------------------------------------------------
# announcing an access (explore mode) and reporting it (live mode)


def _announce(ex: control.Execution, task: control.Task, op: Op, loc: Any, name: str, obj: Any,
              key: Any = None, depth: int = 2, atomic: bool = False) -> None:
    """The scheduling point before an access, then its event (``key``: DPOR's key when it is
    not ``loc``; ``atomic``: one call of a built-in container's C code, see ``_report``)."""
    if ex.in_engine:
        return
    write = op is _WRITE
    if ex.solo and not ex.verbose:
        ex.solo_step(task, write)
        return
    if ex.watcher is not None:
        ex.watch(obj)
    ex.schedule(task, loc if key is None else key, write, write)
    if ex.verbose:
        ex.record_point(task, f"{op.value} {name}", name, program_frame(_getframe(depth)))
    if ex.observers and not ex.solo:
        _report(ex, task, op, loc, name, obj, depth + 1, atomic)


#: Code that instrumented modules generate at run time (``dataclasses``' methods): an access
#: made there is reported at the line that called it.
GENERATED: set[Any] = set()


_GENERATOR_FILES = frozenset({dataclasses.__file__, reprlib.__file__})  # 3.13: ``reprlib.recursive_repr``


def program_frame(frame: Any) -> Any:
    """``frame``, or the first frame above it outside generated code (and the wrappers of the
    module that generated it: ``dataclasses``' recursion guard around ``__repr__``)."""
    while frame is not None and (frame.f_code in GENERATED or frame.f_code.co_filename in _GENERATOR_FILES):
        frame = frame.f_back
    return frame


def _report(ex: control.Execution, task: control.Task, op: Op, loc: Any, name: str, obj: Any, depth: int,
            atomic: bool = False) -> None:
    """The detectors' event of an access. An ``atomic`` one (a built-in container's method,
    ``len``, ``in``, an iteration step: C code that runs as one step) is an atomic operation
    on the container: it never races and orders like a release and an acquire."""
    if ex._dead:
        ex.forget_dead()
    if id(obj) not in ex._tracked:
        ex.track(obj)
    ex.in_engine = True
    try:
        frame = _getframe(depth)
        if GENERATED:
            frame = program_frame(frame)
        for obs in ex.observers:
            obs.access(task.tid, op, loc, name, frame, None, atomic)
    finally:
        ex.in_engine = False


def _quiet(ex: control.Execution, task: control.Task, key: Any, obj: Any = None) -> None:
    """A read DPOR must know of but that is no scheduling point (a method, a function).
    (Not for racelab's own objects: nothing rebinds their methods, and their operations,
    which change the whole object, would look dependent on every lookup.)"""
    if ex.watcher is not None and not ex.solo and not ex.in_engine and not _engine_type(type(obj)):
        if obj is not None:
            ex.watch(obj)
        ex.note_op(task, key, False)


_engine_types: dict[type, bool] = {}


def _engine_type(tp: type) -> bool:
    known = _engine_types.get(tp)
    if known is None:
        known = _engine_types[tp] = (getattr(tp, "__module__", "") or "").startswith("racelab.")
    return known


def _live_access(op: Op, loc: Any, name: str, obj: Any, depth: int = 2, atomic: bool = False) -> None:
    live = control.live
    if live is not None:
        frame = _getframe(depth)
        if GENERATED:
            frame = program_frame(frame)
        live.access(-1, op, loc, name, frame, obj, atomic)


def _short(value: Any) -> str:
    """``repr(value)`` for a trace, cut short. A ``__repr__`` of the program's runs as part of
    racelab's bookkeeping: its accesses are no scheduling points (a verbose replay must make
    the same decisions as the run it replays)."""
    ex = control._active
    busy = ex is not None and ex.in_engine
    if ex is not None:
        ex.in_engine = True
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a broken __repr__ must not break the trace
        text = f"<{type(value).__name__}>"
    finally:
        if ex is not None:
            ex.in_engine = busy
    return text if len(text) <= 60 else text[:57] + "..."


# --------------------------------------------------------------------------------------
# attributes: what a read or a write of ``obj.name`` is, decided from types alone

_DATA, _SKIP, _INSTANCE, _MODULE, _CLASS, _CODE = range(6)
_OTHER_CODE = 16  # flag: the code found runs uninstrumented, outside the standard library

_MISSING = object()
_CODE_TYPES = (types.FunctionType, types.BuiltinFunctionType, types.MethodType, type, _ModuleType,
               classmethod, staticmethod, property, types.WrapperDescriptorType, types.MethodDescriptorType,
               types.MethodWrapperType, types.ClassMethodDescriptorType, types.GetSetDescriptorType,
               types.MemberDescriptorType)


def _class_attr(tp: type, name: str) -> tuple[Any, Any]:
    """(value, the class of ``tp``'s MRO that defines it) without running any code."""
    for klass in tp.__mro__:
        d = _type_dict(klass)
        if name in d:
            return d[name], klass
    return _MISSING, None


def _own(tp: type, hook: str, default: Any) -> bool:
    """Whether ``tp`` overrides ``hook`` (``__getattribute__``, ``__setattr__``, ...)."""
    value, _ = _class_attr(tp, hook)
    return value is not default


def _is_data_descriptor(value: Any) -> bool:
    kind_of = type(value)
    if kind_of is types.MemberDescriptorType:
        return False
    return _class_attr(kind_of, "__set__")[0] is not _MISSING or _class_attr(kind_of, "__delete__")[0] is not _MISSING


def _has_get(value: Any) -> bool:
    return _class_attr(type(value), "__get__")[0] is not _MISSING


def _foreign(klass: Any) -> int:
    return _OTHER_CODE if klass is not None and _origin(getattr(klass, "__module__", None)) == _ORIGIN_OTHER else 0


def _load_kind(tp: type, name: str) -> int:
    if issubclass(tp, _THREAD_LOCALS):
        return _SKIP
    if issubclass(tp, _ModuleType):
        return _SKIP | _foreign(tp) if _own(tp, "__getattribute__", _ModuleType.__getattribute__) else _MODULE
    if issubclass(tp, type):
        return _SKIP if _own(tp, "__getattribute__", type.__getattribute__) else _CLASS
    if _own(tp, "__getattribute__", object.__getattribute__):
        return _SKIP | _foreign(_class_attr(tp, "__getattribute__")[1])
    value, owner = _class_attr(tp, name)
    if value is _MISSING:
        return _DATA
    if type(value) is types.MemberDescriptorType:
        return _DATA
    if _is_data_descriptor(value):
        return _SKIP | _foreign(owner)
    if _has_get(value):
        return _INSTANCE | _foreign(owner)
    return _DATA


def _store_kind(tp: type, name: str, hook: str) -> int:
    if issubclass(tp, _THREAD_LOCALS):
        return _SKIP
    base = _ModuleType if issubclass(tp, _ModuleType) else type if issubclass(tp, type) else object
    if _own(tp, hook, getattr(base, hook)):
        return _SKIP
    if base is object:
        value, _ = _class_attr(tp, name)
        if value is not _MISSING and _is_data_descriptor(value):
            return _SKIP
    return _DATA


_loads: dict[type, dict[str, int]] = {}
_stores: dict[type, dict[str, int]] = {}
_deletes: dict[type, dict[str, int]] = {}
_NO_KINDS: dict[str, int] = {}


def load_kind(obj: Any, name: str) -> int:
    tp = type(obj)
    kind = _loads.get(tp, _NO_KINDS).get(name)
    if kind is None:
        kind = _loads.setdefault(tp, {})[name] = _load_kind(tp, name)
    return kind


def _instance_dict(obj: Any) -> Any:
    try:
        return _object_getattribute(obj, "__dict__")
    except (AttributeError, TypeError):
        return None


def _resolve_read(obj: Any, name: str) -> tuple[Any, str]:
    """``(loc, display name)`` of a data read of ``obj.name``, or ``(None, "")`` when the read
    is not a data access (a quiet read of code: ``loc`` then comes as ``(loc, "")``)."""
    kind = load_kind(obj, name) & 15
    if kind == _DATA:
        return (id(obj), name), _attr_name(obj, name)
    if kind == _INSTANCE:
        d = _instance_dict(obj)
        if d is not None and name in d:
            return (id(obj), name), _attr_name(obj, name)
        return (id(obj), name), ""
    if kind == _MODULE:
        d = _module_dict(obj)
        value = d.get(name, _MISSING)
        if value is _MISSING:
            return None, ""
        loc = (id(d), name)
        if issubclass(type(value), _CODE_TYPES):
            return loc, ""
        return loc, f"{_name_of(obj)}.{name}"
    if kind == _CLASS:
        meta = type(obj)
        value, _ = _class_attr(meta, name)
        if value is not _MISSING and _is_data_descriptor(value):
            return None, ""
        value, _ = _class_attr(obj, name)
        if value is _MISSING:
            return None, ""
        loc = (id(obj), name)
        if issubclass(type(value), _CODE_TYPES) or _has_get(value):
            return loc, ""
        return loc, f"{_name_of(obj)}.{name}"
    return None, ""


def _name_of(obj: Any) -> str:
    """The name of a class or module, read without running any of its hooks (a module or
    metaclass ``__getattribute__`` must not run more often than in the original)."""
    if issubclass(type(obj), type):
        return _type_name(obj)
    return str(_module_dict(obj).get("__name__", "?"))


def _attr_name(obj: Any, name: str) -> str:
    if issubclass(type(obj), type) or issubclass(type(obj), _ModuleType):
        return f"{_name_of(obj)}.{name}"
    return f"{type(obj).__name__}.{name}"


def _plain_value(obj: Any, name: str) -> Any:
    """The value a data read of ``obj.name`` finds, without running any code (verbose traces)."""
    d = _module_dict(obj) if issubclass(type(obj), _ModuleType) else _instance_dict(obj)
    if d is not None and name in d:
        return d[name]
    value, _ = _class_attr(type(obj) if not issubclass(type(obj), type) else obj, name)
    if type(value) is types.MemberDescriptorType:
        return value.__get__(obj, type(obj))
    return value


def _store_loc(obj: Any, name: str, table: dict[type, dict[str, int]], hook: str) -> Any:
    tp = type(obj)
    kind = table.get(tp, _NO_KINDS).get(name)
    if kind is None:
        kind = table.setdefault(tp, {})[name] = _store_kind(tp, name, hook)
    if kind != _DATA:
        return None
    if tp is _ModuleType or issubclass(tp, _ModuleType):
        return (id(_module_dict(obj)), name)
    return (id(obj), name)


def _foreign_code(ex: control.Execution, task: control.Task, obj: Any, name: str, kind: int) -> None:
    if kind & _OTHER_CODE:
        tp = type(obj)
        _, owner = _class_attr(tp, name)
        module = getattr(owner or tp, "__module__", "?")
        _unseen_call(ex, task, module, f"{tp.__qualname__}.{name}")


def ra(obj: Any, name: str, _depth: int = 2) -> Any:
    """Before ``obj.name`` is read (by the caller's frame): returns ``obj``."""
    ex = control._active
    if ex is None:
        if control.live is not None:
            loc, text = _resolve_read(obj, name)
            if text:
                _live_access(_READ, loc, text, obj, _depth)
        return obj
    task = getattr(_tls, "task", None)
    if task is None:
        return obj
    kind = load_kind(obj, name)
    if kind & _OTHER_CODE:
        _foreign_code(ex, task, obj, name, kind)
    if kind == _SKIP:
        return obj
    loc, text = _resolve_read(obj, name)
    if text:
        _announce(ex, task, _READ, loc, text, obj, None, _depth)
        if ex.verbose:
            ex.note_value_later(lambda: "-> " + _short(_plain_value(obj, name)))
    elif loc is not None:
        _quiet(ex, task, loc, obj)
    return obj


def rd(obj: Any) -> Any:
    """Before ``obj.__dict__`` is taken: the dict is an alias of ``obj``'s attributes."""
    ex = control._active
    if ex is not None and not issubclass(type(obj), (type, _ModuleType)):
        d = _instance_dict(obj)
        if d is not None:
            ex.aliases[id(d)] = id(obj)
    return obj


def wa(obj: Any, name: str, _depth: int = 2) -> Any:
    """Before the caller's frame stores ``obj.name``: returns ``obj``."""
    ex = control._active
    if ex is None:
        if control.live is not None:
            loc = _store_loc(obj, name, _stores, "__setattr__")
            if loc is not None:
                _live_access(_WRITE, loc, _attr_name(obj, name), obj, _depth)
        return obj
    task = getattr(_tls, "task", None)
    if task is None:
        return obj
    loc = _store_loc(obj, name, _stores, "__setattr__")
    if loc is not None:
        _announce(ex, task, _WRITE, loc, _attr_name(obj, name), obj, None, _depth)
        if ex.verbose:
            ex.note_value_later(lambda: "<- " + _short(_plain_value(obj, name)))
    return obj


def da(obj: Any, name: str, _depth: int = 2) -> Any:
    """Before the caller's frame deletes ``obj.name``: returns ``obj``."""
    ex = control._active
    if ex is None:
        if control.live is not None:
            loc = _store_loc(obj, name, _deletes, "__delattr__")
            if loc is not None:
                _live_access(_WRITE, loc, _attr_name(obj, name), obj, _depth)
        return obj
    task = getattr(_tls, "task", None)
    if task is not None:
        loc = _store_loc(obj, name, _deletes, "__delattr__")
        if loc is not None:
            _announce(ex, task, _WRITE, loc, f"del {_attr_name(obj, name)}", obj, None, _depth)
    return obj


_NUMBERS = frozenset({int, float})
_plain_aug: dict[type, dict[str, bool]] = {}


def _aug_plain(obj: Any, name: str) -> bool:
    """Whether ``obj.name op= number`` runs no Python code for objects of this type: a data
    attribute read and written without hooks (the value's type is checked per call)."""
    tp = type(obj)
    plain = _plain_aug.get(tp, {}).get(name)
    if plain is None:
        plain = (load_kind(obj, name) == _DATA and not issubclass(type(obj), (type, _ModuleType))
                 and not _own(tp, "__getattr__", _MISSING)
                 and _store_loc(obj, name, _stores, "__setattr__") is not None)
        _plain_aug.setdefault(tp, {})[name] = plain
    return plain


def aa(obj: Any, name: str, op: Any, operand: Any) -> bool:
    """``obj.name op= operand`` in one call when nothing of it can run Python code (a plain
    data attribute holding a number, a number operand): the read, then the write. False
    (and nothing done) otherwise, also when ``op`` fails: the caller then does it the
    general way (which reports the read before the failure, as it happens)."""
    if type(operand) not in _NUMBERS or not _aug_plain(obj, name):
        return False
    d = _instance_dict(obj)
    if d is None:
        return False
    value = d.get(name, _MISSING)
    if type(value) not in _NUMBERS:
        return False
    try:
        new = op(value, operand)
    except Exception:  # noqa: BLE001 - raised again by the general form
        return False
    ex = control._active
    if ex is None:
        if control.live is not None:
            text = _attr_name(obj, name)
            _live_access(_READ, (id(obj), name), text, obj)
            _live_access(_WRITE, (id(obj), name), text, obj)
        d[name] = new
        return True
    task = getattr(_tls, "task", None)
    if task is None:
        d[name] = new
        return True
    text = _attr_name(obj, name)
    _announce(ex, task, _READ, (id(obj), name), text, obj)
    value = d.get(name, _MISSING)  # (another thread may have changed it at that point)
    if type(value) not in _NUMBERS:
        return False
    try:
        new = op(value, operand)
    except Exception:  # noqa: BLE001 - raised again by the general form
        return False
    if ex.verbose:
        ex.note_value("-> " + _short(value))
    _announce(ex, task, _WRITE, (id(obj), name), text, obj)
    if ex.verbose:
        ex.note_value("<- " + _short(new))
    d[name] = new
    return True


# --------------------------------------------------------------------------------------
# items


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
    return f"{src}[{_short(key)}]"


def _owner_id(ex: control.Execution | None, obj: Any) -> int:
    oid = id(obj)
    if ex is not None and ex.aliases:
        return ex.aliases.get(oid, oid)
    return oid


def _item_event(op: Op, obj: Any, key: Any, src: str, delete: bool = False) -> Any:
    """``(loc, key for DPOR, grows)`` of an item access of a built-in container, or None."""
    kind = _type_kinds.get(type(obj))
    if kind is None:
        kind = _type_kind(type(obj))
    if kind == _CONTAINER:
        cid = _owner_id(control._active, obj)
        if type(key) is slice or (op is _WRITE and issubclass(type(obj), (list, bytearray, collections.deque, array.array))
                                  and (delete or type(key) is slice)):
            part = _item_key(obj, key) if type(key) is slice else WHOLE
            return (cid, part), cid, delete or type(key) is slice
        if type(key) is int or _simple_key(key):
            part = _item_key(obj, key)
        else:
            part = ("unhashable", id(key)) if type(key) is not int else key
            if op is _WRITE or delete:
                return (cid, WHOLE), cid, True
            return (cid, WHOLE), cid, False
        if op is _WRITE and issubclass(type(obj), (dict, set)):
            grows = delete or part not in obj
            return (cid, part), (cid if grows else (cid, part)), grows
        return (cid, part), (cid, part), False
    if kind == _MEMORYVIEW or kind == _VIEW:
        target = container_of(obj)
        if target is None:
            return None
        return (id(target), WHOLE), id(target), op is _WRITE
    return None


def _item(ex: control.Execution, task: control.Task, op: Op, obj: Any, key: Any, src: str,
          delete: bool = False, depth: int = 3) -> bool:
    event = _item_event(op, obj, key, src, delete)
    if event is None:
        return False
    loc, dkey, grows = event
    if ex.verbose or ex.observers:  # (a name only where one is shown)
        name = _item_name(src, key)
        if delete:
            name = "del " + name
    else:
        name = ""
    _announce(ex, task, op, loc, name, obj, dkey, depth=depth)
    if grows and ex.observers and not ex.solo and not ex.in_engine:
        _report(ex, task, _WRITE, (loc[0], SIZE), f"{src} (size)", obj, depth)
    return True


def _live_item(op: Op, obj: Any, key: Any, src: str, delete: bool = False, depth: int = 3) -> None:
    event = _item_event(op, obj, key, src, delete)
    if event is not None:
        loc, _, grows = event
        _live_access(op, loc, _item_name(src, key), obj, depth)
        if grows:
            _live_access(_WRITE, (loc[0], SIZE), f"{src} (size)", obj, depth)


def _peek(obj: Any, key: Any) -> str:
    if type(obj) in (dict, collections.OrderedDict, collections.Counter, collections.defaultdict) \
            and _simple_key(key):
        value = dict.get(obj, key, _MISSING)
        return "-> " + ("(missing)" if value is _MISSING else _short(value))
    if type(obj) is list and type(key) in (int, slice):
        try:
            return "-> " + _short(list.__getitem__(obj, key))
        except IndexError:
            return "-> (out of range)"
    return ""


def ri(obj: Any, key: Any, src: str, _depth: int = 3) -> Any:
    """Before the caller's frame reads ``obj[key]``: returns ``obj``."""
    ex = control._active
    if ex is None:
        if control.live is not None:
            _live_item(_READ, obj, key, src, False, _depth)
        return obj
    task = getattr(_tls, "task", None)
    if task is not None and _item(ex, task, _READ, obj, key, src, False, _depth) and ex.verbose:
        text = _peek(obj, key)
        if text:
            ex.note_value(text)
    return obj


def wi(obj: Any, key: Any, src: str) -> Any:
    """Before the caller's frame stores ``obj[key]``: returns ``obj``."""
    ex = control._active
    if ex is None:
        if control.live is not None:
            _live_item(_WRITE, obj, key, src)
        return obj
    task = getattr(_tls, "task", None)
    if task is not None and _item(ex, task, _WRITE, obj, key, src) and ex.verbose:
        ex.note_value_later(lambda: "<- " + _peek(obj, key)[3:] if _peek(obj, key) else "")
    return obj


def di(obj: Any, key: Any, src: str) -> Any:
    """Before the caller's frame deletes ``obj[key]``: returns ``obj``."""
    ex = control._active
    if ex is None:
        if control.live is not None:
            _live_item(_WRITE, obj, key, src, True)
        return obj
    task = getattr(_tls, "task", None)
    if task is not None:
        _item(ex, task, _WRITE, obj, key, src, True)
    return obj


# The rewriter's fallbacks where the key cannot be evaluated once and kept (the item access
# then runs here: a ``__getitem__`` of the program's sees this frame as its caller).

def gi(obj: Any, key: Any, src: str) -> Any:
    ri(obj, key, src)
    return obj[key]


def si(obj: Any, key: Any, value: Any, src: str) -> None:
    wi(obj, key, src)
    obj[key] = value


def dl(obj: Any, key: Any, src: str) -> None:
    di(obj, key, src)
    del obj[key]


# --------------------------------------------------------------------------------------
# whole containers: size, contents, membership


def _whole(op: Op, part: Any, x: Any, what: str, depth: int = 3, src: str = "") -> Any:
    ex = control._active
    if ex is None and control.live is None:
        return x
    target = container_of(x)
    if target is None:
        return x
    if ex is None:
        _live_access(op, (id(target), part), what, target, depth, True)
        return x
    task = getattr(_tls, "task", None)
    if task is not None:
        cid = _owner_id(ex, target)
        name = f"{what} {src or _anonymous(target, cid)}" if ex.verbose or ex.observers else ""
        _announce(ex, task, op, (cid, part), name, target, cid if part is WHOLE else None, depth, True)
    return x


def _anonymous(target: Any, cid: int) -> str:
    return f"{type(target).__name__}@{cid & 0xFFFF:04x}"


def sz(x: Any, src: str = "") -> Any:
    """Before the size or truth of ``x`` is read (``len(x)``, ``if x``): returns ``x``."""
    if control._active is None and control.live is None:
        return x
    return _whole(_READ, SIZE, x, "size of", 3, src)


def wr(x: Any, src: str = "") -> Any:
    """Before all of ``x`` is read (a copy, ``==``, ``repr``, unpacking, ``sorted``): returns ``x``."""
    if control._active is None and control.live is None:
        return x
    return _whole(_READ, WHOLE, x, "contents of", 3, src)


def sa(x: Any, src: str = "") -> Any:
    """Before a function of the standard library gets ``x`` as an argument (``statistics.mean(x)``,
    ``dataclasses.asdict(x)``): it reads ``x`` whole, a container's items or an object's
    attributes, as one atomic step. Returns ``x``."""
    ex = control._active
    if ex is None and control.live is None:
        return x
    tp = type(x)
    if tp in _IMMUTABLE:
        return x
    if container_of(x) is not None:
        return _whole(_READ, WHOLE, x, "contents of", 3, src)
    _object_read(x, 4)
    return x


def ww(x: Any, src: str = "") -> Any:
    """Before all of ``x`` may change (an in-place ``+=`` of a container, ``heapq.heappush``)."""
    if control._active is None and control.live is None:
        return x
    return _whole(_WRITE, WHOLE, x, "contents of", 3, src)


def mk(x: Any, key: Any, src: str = "") -> Any:
    """Before ``key in x`` is evaluated: returns ``x`` (a keyed read of a dict or set, a read of
    all of a list)."""
    ex = control._active
    if ex is None and control.live is None:
        return x
    target = container_of(x)
    if target is None:
        return x
    if not issubclass(type(target), (dict, set)) or not _simple_key(key):
        return _whole(_READ, WHOLE, x, "contents of", 3, src)
    part = key
    if ex is None:
        _live_access(_READ, (id(target), part), f"{key!r} in", target, 2, True)
        return x
    task = getattr(_tls, "task", None)
    if task is not None:
        cid = _owner_id(ex, target)
        name = f"{_short(key)} in {src or _anonymous(target, cid)}" if ex.verbose or ex.observers else ""
        _announce(ex, task, _READ, (cid, part), name, target, None, 2, True)
    return x


def inplace(x: Any, value: Any) -> Any:
    """``x op= value`` on a plain name: an in-place change of ``x`` when it is a container
    (and a read of ``value`` when that is one). Returns ``value``."""
    if control._active is None and control.live is None:
        return value
    if container_of(value) is not None:
        _whole(_READ, WHOLE, value, "contents of")
    if container_of(x) is not None:
        _whole(_WRITE, WHOLE, x, "contents of")
    return value


def lc(namespace: dict[str, Any]) -> dict[str, Any]:
    """``locals()`` in a function, without the rewriter's temporaries (``__rl_*``)."""
    for name in namespace:
        if name.startswith("__rl_"):
            return {k: v for k, v in namespace.items() if not k.startswith("__rl_")}
    return namespace


def va(obj: Any) -> Any:
    """Before ``vars(obj)``: a read of all of ``obj``'s attributes (and its dict aliases it)."""
    ex = control._active
    if ex is None and control.live is None:
        return obj
    if issubclass(type(obj), _ModuleType):
        d = _module_dict(obj)
        target: int = id(d)
    elif issubclass(type(obj), type):
        target = id(obj)
    else:
        d = _instance_dict(obj)
        target = id(obj)
        if d is not None and ex is not None:
            ex.aliases[id(d)] = target
    if ex is None:
        _live_access(_READ, (target, WHOLE), f"vars({type(obj).__name__})", obj)
        return obj
    task = getattr(_tls, "task", None)
    if task is not None:
        _announce(ex, task, _READ, (target, WHOLE), f"vars({type(obj).__name__})", obj, target)
    return obj


# ---- getattr, setattr, delattr, hasattr -------------------------------------------------


def gx(obj: Any, name: Any) -> Any:
    """Before ``getattr(obj, name[, default])`` / ``hasattr``: returns ``obj`` (for
    ``'__weakref__'``, what hides racelab's own weak reference, see ``wref``)."""
    if type(name) is str:
        if name == "__weakref__":
            return _WeakrefView(wref(obj))
        ra(obj, name, 3)
    return obj


class _WeakrefView:
    """What ``getattr(view, '__weakref__')`` reads in place of the object's own."""

    __slots__ = ("_value",)

    def __init__(self, value: Any) -> None:
        self._value = value

    __weakref__ = property(lambda self: self._value)  # type: ignore[assignment]


def _ours(ref: Any) -> bool:
    """Whether ``ref`` is a weak reference that racelab's own bookkeeping made."""
    callback = getattr(ref, "__callback__", None)
    return type(ref) is weakref.KeyedRef and getattr(callback, "__func__", None) in _OUR_CALLBACKS


#: The functions racelab's weak references call back (``Execution._died``, live mode's).
_OUR_CALLBACKS: set[Any] = {control.Execution._died}


def wref(obj: Any) -> Any:
    """``obj.__weakref__`` as without racelab: the first weak reference the program made."""
    head = obj.__weakref__
    if head is None or not _ours(head):
        return head
    for ref in weakref.getweakrefs(obj):
        if not _ours(ref):
            return ref
    return None


def sx(obj: Any, name: Any, value: Any) -> Any:
    """Before ``setattr(obj, name, value)``: returns ``value``."""
    if type(name) is str:
        wa(obj, name, 3)
    return value


def dx(obj: Any, name: Any) -> Any:
    """Before ``delattr(obj, name)``: returns ``obj``."""
    if type(name) is str:
        da(obj, name, 3)
    return obj


def setattr_(obj: Any, name: Any, value: Any) -> None:
    if type(name) is str:
        wa(obj, name, 3)
    setattr(obj, name, value)


# --------------------------------------------------------------------------------------
# iteration


class SharedIterator:
    """Iterating a built-in container under control: each ``next`` is a scheduling point,
    a read of the whole container (what the next item is depends on every change made)."""

    __slots__ = ("_it", "_target", "_src")

    def __init__(self, it: Any, target: Any, src: str = "") -> None:
        self._it = it
        self._target = target
        self._src = src

    def __iter__(self) -> "SharedIterator":
        return self

    def __next__(self) -> Any:
        return self.step(3)

    def step(self, depth: int) -> Any:
        """The next item; ``depth``: how far up the program's frame is."""
        ex = control._active
        if ex is not None:
            task = getattr(_tls, "task", None)
            if task is not None:
                target = self._target
                cid = _owner_id(ex, target)
                name = f"next item of {self._src or _anonymous(target, cid)}" if ex.verbose or ex.observers \
                    else ""
                _announce(ex, task, _READ, (cid, WHOLE), name, target, cid, depth, True)
        return next(self._it)

    def __length_hint__(self) -> int:
        return operator.length_hint(self._it)


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
    if task is None or ex.in_engine:
        return
    if ex.solo and not ex.verbose:
        ex.solo_step(task, False)
        return
    if ex.watcher is not None:
        ex.watch(gen)
    ex.schedule(task, id(gen), True)
    if ex.verbose:
        ex.record_point(task, f"next({getattr(gen, '__name__', 'generator')})", None, _getframe(3))
    if ex.observers and not ex.solo:
        ex.keepalive.append(gen)
        for obs in ex.observers:
            obs.atomic(task.tid, id(gen))


def _generator_left(gen: Any) -> None:
    """The generator gave control back: another ``next`` may now enter it."""
    ex = control._active
    if ex is not None and ex.watcher is not None and not ex.solo:
        task = getattr(_tls, "task", None)
        if task is not None:
            ex.note_op(task, id(gen), True)


def it(obj: Any, src: str = "") -> Any:
    """``for x in obj`` and the iterables of a comprehension."""
    ex = control._active
    if ex is None:
        if control.live is not None and container_of(obj) is not None:
            _whole(_READ, WHOLE, obj, "contents of", 3, src)
        return obj
    tp = type(obj)
    if tp is types.GeneratorType:
        return SharedGenerator(obj)
    if tp in _IMMUTABLE or getattr(_tls, "task", None) is None:
        return obj
    target = container_of(obj)
    if target is None:
        return obj
    return SharedIterator(iter(obj), target, src)


def rv(obj: Any, src: str = "") -> Any:
    """``reversed(obj)``."""
    result = reversed(obj)
    if control._active is None:
        if control.live is not None:
            wr(obj)
        return result
    target = container_of(obj)
    if target is None or getattr(_tls, "task", None) is None:
        return result
    return SharedIterator(result, target, src)


def nx(gen: Any, *default: Any) -> Any:
    """``next(gen[, default])``."""
    if type(gen) is SharedIterator:
        try:
            return gen.step(3)
        except StopIteration:
            if default:
                return default[0]
            raise
    if type(gen) is not types.GeneratorType:
        return next(gen, *default)
    _generator_point(gen)
    try:
        return next(gen, *default)
    finally:
        _generator_left(gen)


# --------------------------------------------------------------------------------------
# calls


# What one call of a built-in container's method does to it: "r" reads the key (first
# argument), "R" reads all of it, "S" its size, "W" may change all of it, "w" writes the key
# (all of it when the key is new), "n" nothing (a view).
_DICT_RULES = {
    "get": "r", "__getitem__": "r", "__contains__": "r", "setdefault": "sd", "pop": "pop",
    "keys": "n", "values": "n", "items": "n", "__len__": "S", "__setitem__": "w",
    "copy": "R", "__iter__": "R", "__reversed__": "R", "__eq__": "R", "__ne__": "R", "__or__": "R",
    "__repr__": "R", "__str__": "R", "__format__": "R", "__reduce__": "R", "__reduce_ex__": "R",
    "__sizeof__": "S", "most_common": "R", "elements": "R", "total": "R", "__getattribute__": "n",
}
_LIST_RULES = {
    "append": "end", "pop": "lpop", "__getitem__": "r", "__len__": "S", "index": "R", "count": "R", "copy": "R", "__iter__": "R",
    "__reversed__": "R", "__contains__": "R", "__eq__": "R", "__ne__": "R", "__lt__": "R", "__le__": "R",
    "__gt__": "R", "__ge__": "R", "__add__": "R", "__mul__": "R", "__repr__": "R", "__str__": "R",
    "__format__": "R", "__reduce__": "R", "__reduce_ex__": "R", "__sizeof__": "S", "__setitem__": "w",
    "tobytes": "R", "tolist": "R", "hex": "R", "decode": "R", "find": "R", "rfind": "R", "startswith": "R",
    "endswith": "R", "split": "R", "strip": "R", "maxlen": "n", "__getattribute__": "n",
}
_SET_RULES = {
    "__contains__": "r", "add": "add", "discard": "pop", "__len__": "S", "copy": "R", "union": "R",
    "intersection": "R", "difference": "R", "symmetric_difference": "R", "issubset": "R",
    "issuperset": "R", "isdisjoint": "R", "__iter__": "R", "__eq__": "R", "__ne__": "R", "__le__": "R",
    "__lt__": "R", "__ge__": "R", "__gt__": "R", "__or__": "R", "__and__": "R", "__sub__": "R",
    "__xor__": "R", "__repr__": "R", "__reduce__": "R", "__sizeof__": "S", "__getattribute__": "n",
}


def _rules_for(target: Any) -> dict[str, str]:
    if issubclass(type(target), dict):
        return _DICT_RULES
    if issubclass(type(target), set):
        return _SET_RULES
    return _LIST_RULES


def _container_call(rule: str, target: Any, name: str, args: tuple[Any, ...], depth: int = 3) -> None:
    """The scheduling point and events of one atomic call ``target.name(*args)``."""
    ex = control._active
    op, part, grows = _READ, WHOLE, False
    if rule == "n":
        pass
    elif rule == "end":  # an append: the index after the last, and the size
        op, part, grows = _WRITE, len(target), True
    elif rule == "lpop":  # ``pop()``: the last index and the size; ``pop(i)`` shifts the rest
        if not args or (type(args[0]) is int and args[0] in (-1, len(target) - 1)):
            op, part, grows = _WRITE, max(len(target) - 1, 0), True
        else:
            op = _WRITE
    elif rule == "S":
        part = SIZE
    elif rule == "R":
        pass
    elif args and _simple_key(args[0]) and rule in ("r", "w", "sd", "pop", "add"):
        key = _item_key(target, args[0]) if issubclass(type(target), (list, bytearray, collections.deque)) else args[0]
        if rule == "r":
            part = key
        elif rule == "w":
            op, part = _WRITE, key
            grows = issubclass(type(target), dict) and key not in target
        else:  # setdefault, pop, discard, add: a write when it adds or removes the key
            present = key in target
            adds = rule in ("sd", "add")
            if present == adds:
                part = key  # nothing changes: a read of the key
            else:
                op, part, grows = _WRITE, key, True
    else:
        op = _WRITE
    if rule == "n":
        return
    cid = _owner_id(ex, target)
    loc = (cid, part)
    dkey = cid if part is WHOLE or grows else loc
    what = f"{type(target).__name__}.{name}()" if ex is None or ex.verbose or ex.observers else ""
    reads = [a for a in args if container_of(a) is not None and a is not target]
    if ex is None:
        live = control.live
        if live is not None:
            frame = _getframe(depth)
            live.access(-1, op, loc, what, frame, target, True)
            if grows:
                live.access(-1, _WRITE, (cid, SIZE), what, frame, target, True)
            for arg in reads:
                other = container_of(arg)
                live.access(-1, _READ, (id(other), WHOLE), what, frame, other, True)
        return
    task = getattr(_tls, "task", None)
    if task is None:
        return
    _announce(ex, task, op, loc, what, target, dkey, depth, True)
    if ex.solo or ex.in_engine:
        return
    for arg in reads:
        other = container_of(arg)
        oid = _owner_id(ex, other)
        if ex.watcher is not None:
            ex.watch(other)
            ex.note_op(task, oid, False)
        if ex.observers:
            _report(ex, task, _READ, (oid, WHOLE), what, other, depth + 1, True)


class _Call:
    """A built-in container's method, called after its arguments are evaluated: the call is
    the atomic step, so its point comes then. (The one helper frame a call keeps: only a
    callback of the method — a ``sort`` key, an ``__eq__`` — can see it.)"""

    __slots__ = ("fn", "target", "name", "rule")

    def __init__(self, fn: Any, target: Any, name: str, rule: str) -> None:
        self.fn = fn
        self.target = target
        self.name = name
        self.rule = rule

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        _container_call(self.rule, self.target, self.name, args)
        return self.fn(*args, **kwargs)


class _UnboundCall(_Call):
    """``dict.__setitem__(self, k, v)``, ``list.append(self, x)``: the container is the first argument."""

    __slots__ = ()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if args and container_of(args[0]) is not None:
            _container_call(self.rule, container_of(args[0]), self.name, args[1:])
        return self.fn(*args, **kwargs)


class _AttrCall(_Call):
    """``object.__setattr__(o, name, v)`` and kin (``target`` None) or ``super().__setattr__(name,
    v)`` (``target`` the instance): an attribute write the program's own hook performs."""

    __slots__ = ()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.target is None:
            obj, rest = (args[0], args[1:]) if args else (None, ())
        else:
            obj, rest = self.target, args
        if rest and type(rest[0]) is str:
            name = rest[0]
            if self.name == "__getattribute__":
                _direct_read(obj, name)
            else:
                _direct_write(obj, name, self.name == "__delattr__")
        return self.fn(*args, **kwargs)


def _direct_read(obj: Any, name: str) -> None:
    ex = control._active
    if ex is None and control.live is None:
        return
    d = _instance_dict(obj)
    if d is None or name not in d:
        return
    loc, text = (id(obj), name), _attr_name(obj, name)
    if ex is None:
        _live_access(_READ, loc, text, obj, 3)
        return
    task = getattr(_tls, "task", None)
    if task is not None:
        _announce(ex, task, _READ, loc, text, obj, depth=3)


def _direct_write(obj: Any, name: str, delete: bool) -> None:
    ex = control._active
    if ex is None and control.live is None:
        return
    if issubclass(type(obj), _THREAD_LOCALS):
        return
    loc = (id(_module_dict(obj)), name) if issubclass(type(obj), _ModuleType) else (id(obj), name)
    text = ("del " if delete else "") + _attr_name(obj, name)
    if ex is None:
        _live_access(_WRITE, loc, text, obj, 3)
        return
    task = getattr(_tls, "task", None)
    if task is not None:
        _announce(ex, task, _WRITE, loc, text, obj, depth=3)


class _ArgCall(_Call):
    """A function of the standard library known to read or change a container argument
    (``copy.copy``, ``heapq.heappush``, ``operator.setitem``, ``random.shuffle``, ...)."""

    __slots__ = ()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        _table_call(self.rule, args)
        return self.fn(*args, **kwargs)


def _table_call(rule: str, args: tuple[Any, ...]) -> None:
    # rule: a letter per argument position: "R" read all, "W" change all, "r"/"w"/"d": the
    # key is the next argument; "i": iterated lazily (left alone here), "-": not touched.
    for i, letter in enumerate(rule):
        if i >= len(args):
            break
        target = container_of(args[i])
        if target is None and letter == "R":
            _object_read(args[i])
        if target is None or letter == "-":
            continue
        if letter in "rwd" and i + 1 < len(args):
            if letter == "r":
                _container_call("r", target, "operator.getitem", (args[i + 1],), 4)
            elif letter == "w":
                _container_call("w", target, "operator.setitem", (args[i + 1],), 4)
            else:
                _container_call("W", target, "operator.delitem", (), 4)
        elif letter == "W":
            _container_call("W", target, "(in place)", (), 4)
        elif letter in "Rr":
            _container_call("R", target, "(read)", (), 4)


def _object_read(obj: Any, depth: int = 4) -> None:
    """A copy (``copy.copy``, ``pickle.dumps``, ...) of an object reads all its attributes
    (``depth``: how far up the program's frame is, from ``_announce``)."""
    tp = type(obj)
    if issubclass(tp, (type, _ModuleType)) or tp in _IMMUTABLE or _code_or_engine(tp):
        return
    if _instance_dict(obj) is None and not getattr(tp, "__slots__", None):
        return
    ex = control._active
    if ex is None:
        _live_access(_READ, (id(obj), WHOLE), f"contents of {tp.__name__}", obj, depth)
        return
    task = getattr(_tls, "task", None)
    if task is not None:
        _announce(ex, task, _READ, (id(obj), WHOLE), f"contents of {tp.__name__}", obj, id(obj), depth)


def _code_or_engine(tp: type) -> bool:
    """Functions, methods and racelab's own objects: reading them is no data access."""
    return issubclass(tp, _CODE_TYPES) or _engine_type(tp)


class _StdCall:
    """A function or class of the standard library (not one racelab controls): it reads its
    arguments whole when it is called (``sa``)."""

    __slots__ = ("fn",)

    def __init__(self, fn: Any) -> None:
        self.fn = fn

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        for arg in args:
            if type(arg) not in _IMMUTABLE:
                sa(arg)
        for arg in kwargs.values():
            if type(arg) not in _IMMUTABLE:
                sa(arg)
        return self.fn(*args, **kwargs)


def _table() -> dict[int, str]:
    import bisect
    import copy
    import heapq
    import json
    import pickle
    import random

    entries = {
        copy.copy: "R", copy.deepcopy: "R", json.dumps: "R", json.dump: "R", pickle.dumps: "R", pickle.dump: "R",
        heapq.heappush: "W", heapq.heappop: "W", heapq.heapify: "W", heapq.heappushpop: "W",
        heapq.heapreplace: "W", heapq.nlargest: "-R", heapq.nsmallest: "-R",
        bisect.bisect: "R", bisect.bisect_left: "R", bisect.bisect_right: "R", bisect.insort: "W",
        bisect.insort_left: "W", bisect.insort_right: "W",
        operator.getitem: "r", operator.setitem: "w", operator.delitem: "d", operator.contains: "R",
        operator.countOf: "R", operator.indexOf: "R", operator.length_hint: "R", operator.concat: "RR",
        operator.iconcat: "WR",
        random.shuffle: "W", random.choice: "R", random.sample: "R", random.choices: "R",
        sorted: "R", list: "R", tuple: "R", set: "R", frozenset: "R", dict: "R", sum: "R", min: "RR", max: "RR",
        any: "R", all: "R", len: "R", repr: "R", str: "R", ascii: "R", format: "R",
    }
    return {id(fn): rule for fn, rule in entries.items()}


_TABLE: dict[int, str] = {}


def _table_rule(fn: Any) -> str | None:
    if not _TABLE:
        _TABLE.update(_table())
    return _TABLE.get(id(fn))


#: Names of functions in the table above: calls ``module.NAME(...)`` of these go through ``mc``.
TABLE_NAMES = frozenset({
    "copy", "deepcopy", "dumps", "dump", "heappush", "heappop", "heapify", "heappushpop", "heapreplace",
    "nlargest", "nsmallest", "bisect", "bisect_left", "bisect_right", "insort", "insort_left", "insort_right",
    "getitem", "setitem", "delitem", "contains", "countOf", "indexOf", "length_hint", "concat", "iconcat",
    "shuffle", "choice", "sample", "choices", "itemgetter", "attrgetter",
})

_ATTR_HOOKS = {"__setattr__": object.__setattr__, "__delattr__": object.__delattr__,
               "__getattribute__": object.__getattribute__}
_C_ATTR_HOOKS = frozenset({
    id(object.__setattr__), id(object.__delattr__), id(object.__getattribute__),
    id(type.__setattr__), id(type.__delattr__), id(_ModuleType.__setattr__), id(_ModuleType.__delattr__),
})
_builtin_methods: dict[tuple[type, str], bool] = {}


def _builtin_method(tp: type, name: str) -> bool:
    """Whether ``name`` on instances of ``tp`` (a container type or subclass) is the built-in one."""
    key = (tp, name)
    known = _builtin_methods.get(key)
    if known is None:
        value, owner = _class_attr(tp, name)
        # C code of a container type (``deque``, ``OrderedDict`` say ``collections``), not the
        # Python methods of ``collections.Counter`` or ``UserDict``
        known = _builtin_methods[key] = owner is not None and owner.__module__ in (
            "builtins", "collections", "array", "_collections") and not issubclass(type(value), types.FunctionType)
    return known


#: What a call ``obj.name(...)`` is, per type and name (``_plan``): a plan's first item.
_P_PLAIN, _P_METHOD, _P_CALL, _P_OTHER = 0, 1, 2, 3
_plans: dict[type, dict[str, tuple[int, Any]]] = {}
_NO_PLANS: dict[str, tuple[int, Any]] = {}
_M_QUIET, _M_STATE, _M_FOREIGN, _M_PYCODE, _M_ARGS = 1, 2, 4, 8, 16  # a method's flags (see ``_plan``)


def _plan(obj: Any, name: str) -> tuple[int, Any]:
    """How ``mc`` handles a call of ``name`` on objects of ``type(obj)``, decided once:
    ``(_P_PLAIN, None)``: just the attribute (an immutable built-in's method);
    ``(_P_METHOD, flags)``: a method found on the class, unless the instance shadows it
    (``_M_QUIET``: DPOR is told of the read; ``_M_STATE``: a standard-library object's
    method, one atomic step on it; ``_M_FOREIGN``: code of a module that is not instrumented);
    ``(_P_CALL, rule)``: a built-in container's method (``_Call``); ``(_P_OTHER, None)``:
    decided per call (modules, classes, views, ``super``, data attributes)."""
    tp = type(obj)
    if tp in _IMMUTABLE:
        return (_P_OTHER, None) if name in ("join", "format", "format_map") else (_P_PLAIN, None)
    kind = _type_kinds.get(tp)
    if kind is None:
        kind = _type_kind(tp)
    if kind == _CONTAINER and _builtin_method(tp, name):
        return (_P_CALL, _rules_for(obj).get(name, "W"))
    if kind == _VIEW or issubclass(tp, (type, _ModuleType)) or tp is super:
        return (_P_OTHER, None)
    if kind == _CONTAINER and _method_origin(tp, name) == _ORIGIN_STDLIB:
        # a Python method of a standard-library container class (``Counter.update``)
        value, owner = _class_attr(tp, name)
        if owner is not None and issubclass(type(value), types.FunctionType):
            return (_P_METHOD, _M_STATE | _M_PYCODE | _M_ARGS)
    load = load_kind(obj, name)
    if load & 15 != _INSTANCE:
        return (_P_OTHER, None)
    flags = 0 if _engine_type(tp) else _M_QUIET
    if load & _OTHER_CODE:
        flags |= _M_FOREIGN
    if _method_origin(tp, name) == _ORIGIN_STDLIB:
        value, owner = _class_attr(tp, name)
        if owner is not None and _stdlib_state(owner):
            flags |= _M_STATE
            if reads_arguments(owner.__module__, name):
                flags |= _M_ARGS
            if issubclass(type(value), types.FunctionType) and \
                    (owner.__module__ or "").partition(".")[0] not in _SYNCHRONIZED_STDLIB:
                flags |= _M_PYCODE
    return (_P_METHOD, flags)


#: Standard-library modules whose classes' Python methods are trusted as one step: racelab
#: controls them, they lock what they change (``logging``, ``sched``, ``http.cookiejar``: with
#: locks racelab controls when the object was made while exploring), or their objects are
#: per-connection or per-file wrappers (``socketserver``, ``http.client``, ``tempfile``, ``io``).
_SYNCHRONIZED_STDLIB = frozenset({"logging", "sched", "asyncio", "concurrent", "selectors", "socket", "subprocess",
                                  "http", "socketserver", "tempfile", "_pyio", "io"})


def _stdlib_code(ex: control.Execution, task: control.Task, obj: Any, name: str) -> None:
    """A Python method of a standard-library object ran while other threads were alive: racelab
    runs it as one step, real threads can interleave inside it (the verdict is inconclusive)."""
    tp = type(obj)
    _, owner = _class_attr(tp, name)
    what = f"{_type_name(owner or tp)}.{name}"
    module = (owner or tp).__module__ or "?"
    if f"stdlib:{what}" not in ex.unseen and _others_alive(ex, task):
        ex.note_unseen(f"stdlib:{what}", f"{what} (Python code of the standard library module {module}) "
                                         f"ran while other threads were running: racelab runs it as one step, "
                                         f"real threads can interleave inside it")


def mc(obj: Any, name: str) -> Any:
    """``obj.name`` about to be called (``obj.name(...)``): the attribute, or a stand-in that
    makes the call's scheduling point once the arguments are evaluated."""
    ex = control._active
    if ex is None:
        if control.live is None:
            return getattr(obj, name)
        return _live_method(obj, name)
    task = getattr(_tls, "task", None)
    if task is None:
        return getattr(obj, name)
    tp = type(obj)
    plan = _plans.get(tp, _NO_PLANS).get(name)
    if plan is None:
        plan = _plans.setdefault(tp, {})[name] = _plan(obj, name)
    how = plan[0]
    if how == _P_METHOD:
        flags = plan[1]
        d = _instance_dict(obj)
        if d is not None and name in d:  # shadowed by the instance: a data read
            _announce(ex, task, _READ, (id(obj), name), _attr_name(obj, name), obj)
        elif flags:
            if flags & _M_FOREIGN:
                _foreign_code(ex, task, obj, name, _OTHER_CODE)
            if flags & _M_QUIET and ex.watcher is not None and not ex.solo and not ex.in_engine:
                ex.watch(obj)
                ex.note_op(task, (id(obj), name), False)
            if flags & _M_STATE:
                _announce(ex, task, _WRITE, (id(obj), WHOLE), f"{tp.__name__}.{name}()", obj, id(obj))
                if flags & _M_PYCODE:
                    _stdlib_code(ex, task, obj, name)
                if flags & _M_ARGS:  # (not for ``logging``: it looks for its caller's frame)
                    return _StdCall(getattr(obj, name))
        return getattr(obj, name)
    if how == _P_CALL:
        return _Call(getattr(obj, name), obj, name, plan[1])
    if how == _P_PLAIN:
        return getattr(obj, name)
    if tp in _IMMUTABLE:  # str.join, str.format
        return _ArgCall(getattr(obj, name), None, name, "RRRRRRRR" if name != "join" else "R")
    kind = _type_kinds.get(tp)
    if kind == _VIEW:
        owner = _view_owner(obj)
        if owner is not None:
            return _Call(getattr(obj, name), owner, name, "R")
    if issubclass(type(obj), type):
        return _class_method(ex, task, obj, name)
    if issubclass(type(obj), _ModuleType):
        return _module_function(ex, task, obj, name)
    if tp is super:
        fn = getattr(obj, name)
        self_obj = getattr(fn, "__self__", None)
        if name in _ATTR_HOOKS and self_obj is not None:
            return _AttrCall(fn, self_obj, name, "")
        if self_obj is not None and container_of(self_obj) is self_obj and type(fn) in (
                types.BuiltinMethodType, types.MethodWrapperType):
            return _Call(fn, self_obj, name, _rules_for(self_obj).get(name, "W"))
        return fn
    kind = load_kind(obj, name)
    if kind & _OTHER_CODE:
        _foreign_code(ex, task, obj, name, kind)
        kind &= 15
    if kind != _SKIP:
        loc, text = _resolve_read(obj, name)
        if text:
            _announce(ex, task, _READ, loc, text, obj)
        elif loc is not None:
            _quiet(ex, task, loc, obj)
    return getattr(obj, name)


_method_origins: dict[tuple[type, str], int] = {}


def _method_origin(tp: type, name: str) -> int:
    key = (tp, name)
    origin = _method_origins.get(key)
    if origin is None:
        _, owner = _class_attr(tp, name)
        origin = _method_origins[key] = _origin(getattr(owner, "__module__", None))
    return origin


def _stdlib_state(tp: type) -> bool:
    """Objects of standard-library classes (not racelab's controlled stand-ins) whose methods
    change them: each call is one atomic step on the object."""
    module = tp.__module__ or ""
    return not module.startswith("racelab") and module not in ("builtins", "threading", "queue", "types")


def _class_method(ex: control.Execution, task: control.Task, cls: type, name: str) -> Any:
    value, owner = _class_attr(cls, name)
    fn = getattr(cls, name)
    if id(fn) in _C_ATTR_HOOKS:
        return _AttrCall(fn, None, name, "")
    if owner is not None and issubclass(cls, _CONTAINER_BASES) and type(value) in (
            types.MethodDescriptorType, types.WrapperDescriptorType):
        return _UnboundCall(fn, None, name, _LIST_RULES.get(name, "W") if not issubclass(cls, (dict, set))
                            else (_DICT_RULES if issubclass(cls, dict) else _SET_RULES).get(name, "W"))
    if value is not _MISSING:
        if issubclass(type(value), _CODE_TYPES) or _has_get(value):
            _quiet(ex, task, (id(cls), name))
        else:
            _announce(ex, task, _READ, (id(cls), name), f"{_name_of(cls)}.{name}", cls, None, 3)
    module = getattr(cls, "__module__", None)
    if _origin(module) == _ORIGIN_OTHER:
        _unseen_call(ex, task, module, f"{cls.__qualname__}.{name}")
    return fn


def _module_function(ex: control.Execution, task: control.Task, module: Any, name: str) -> Any:
    d = _module_dict(module)
    fn = d.get(name, _MISSING)
    if fn is _MISSING or _load_kind(type(module), name) != _MODULE:
        fn = getattr(module, name)
    else:
        if issubclass(type(fn), _CODE_TYPES):
            _quiet(ex, task, (id(d), name))
        else:
            _announce(ex, task, _READ, (id(d), name), f"{_name_of(module)}.{name}", module, None, 3)
    return checked_callable(ex, task, fn)


def checked_callable(ex: control.Execution, task: control.Task, fn: Any) -> Any:
    rule = _table_rule(fn)
    if rule is not None:
        return _ArgCall(fn, None, getattr(fn, "__name__", "?"), rule)
    if fn is operator.itemgetter or fn is operator.attrgetter:
        return _GetterFactory(fn)
    module = getattr(fn, "__module__", None)
    origin = _origin(module)
    if origin == _ORIGIN_OTHER:
        code = getattr(fn, "__code__", None)
        if code is None or code.co_filename not in _INSTRUMENTED_FILES:
            _unseen_call(ex, task, module, getattr(fn, "__qualname__", repr(fn)))
    elif origin == _ORIGIN_STDLIB and reads_arguments(module, getattr(fn, "__name__", "")):
        return _StdCall(fn)
    return fn




def foreign_entry(fn: Any) -> None:
    """A controlled thread (or an executor's task) starts by calling ``fn``: code of a module
    that is not instrumented makes the verdict inconclusive (``checked_callable``)."""
    ex = control._active
    task = None if ex is None else getattr(_tls, "task", None)
    if ex is None or task is None or fn is None:
        return
    target = getattr(fn, "__func__", fn)
    while issubclass(type(target), functools.partial):
        target = target.func
    module = getattr(target, "__module__", None)
    if _origin(module) == _ORIGIN_OTHER:
        code = getattr(target, "__code__", None)
        if code is None or code.co_filename not in _INSTRUMENTED_FILES:
            _unseen_call(ex, task, module or "?", getattr(target, "__qualname__", repr(target)))


def cf(fn: Any) -> Any:
    """``fn`` about to be called by a name imported from another module (``from m import fn``)."""
    ex = control._active
    if ex is None:
        return fn
    task = getattr(_tls, "task", None)
    if task is None:
        return fn
    return checked_callable(ex, task, fn)


class _GetterFactory:
    """``operator.itemgetter(...)`` / ``attrgetter(...)``: the getter it makes announces its reads."""

    __slots__ = ("fn",)

    def __init__(self, fn: Any) -> None:
        self.fn = fn

    def __call__(self, *args: Any) -> Any:
        return _Getter(self.fn(*args), self.fn is operator.itemgetter, args)


class _Getter:
    __slots__ = ("getter", "items", "keys")

    def __init__(self, getter: Any, items: bool, keys: tuple[Any, ...]) -> None:
        self.getter = getter
        self.items = items
        self.keys = keys

    def __call__(self, obj: Any) -> Any:
        for key in self.keys:
            if self.items:
                ri(obj, key, "itemgetter", 4)
            elif type(key) is str and "." not in key:
                ra(obj, key, 3)
        return self.getter(obj)

    def __repr__(self) -> str:
        return repr(self.getter)

    def __reduce__(self) -> Any:
        return self.getter.__reduce__()


def _live_method(obj: Any, name: str) -> Any:
    tp = type(obj)
    kind = _type_kinds.get(tp)
    if kind is None:
        kind = _type_kind(tp)
    if kind == _CONTAINER and _builtin_method(tp, name):
        return _Call(getattr(obj, name), obj, name, _rules_for(obj).get(name, "W"))
    if issubclass(type(obj), _ModuleType):
        fn = getattr(obj, name)
        rule = _table_rule(fn)
        return _ArgCall(fn, None, name, rule) if rule is not None else fn
    if tp not in _IMMUTABLE and load_kind(obj, name) == _INSTANCE:
        d = _instance_dict(obj)
        if d is not None and name in d:
            _live_access(_READ, (id(obj), name), _attr_name(obj, name), obj)
    return getattr(obj, name)


# ---- globals and closure cells --------------------------------------------------------


def _name_point(op: Op, loc: Any, name: str, obj: Any) -> bool:
    """The point before a global or cell access; True when it was traced (verbose mode)."""
    ex = control._active
    if ex is None:
        if control.live is not None:
            control.live.access(-1, op, loc, name, _getframe(2), obj)
        return False
    task = getattr(_tls, "task", None)
    if task is None or ex.in_engine:
        return False
    if ex.solo and not ex.verbose:
        ex.solo_step(task, op is _WRITE)
        return False
    ex.schedule(task, loc, op is _WRITE, op is _WRITE)
    if ex.verbose:
        ex.record_point(task, f"{op.value} {name}", name, _getframe(2))
    if ex.observers and not ex.solo:
        if ex._dead:
            ex.forget_dead()
        ex.track(obj)
        frame = _getframe(2)
        ex.in_engine = True
        try:
            for obs in ex.observers:
                obs.access(task.tid, op, loc, name, frame)
        finally:
            ex.in_engine = False
    return ex.verbose


def gr(name: str) -> None:
    """Before reading global ``name``; returns None so ``(gr(...) or name)`` reads it right after."""
    if control._active is None and control.live is None:
        return
    g = _getframe(1).f_globals
    if _name_point(_READ, (id(g), name), f"global {name}", g):
        control._active.note_value("-> " + _short(g.get(name)))  # type: ignore[union-attr]


def gw(name: str, value: Any) -> Any:
    """Before writing global ``name``; returns the value to store."""
    if control._active is None and control.live is None:
        return value
    g = _getframe(1).f_globals
    if _name_point(_WRITE, (id(g), name), f"global {name}", g):
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


def amsg(source: str, left: Any, op: str, right: Any) -> str:
    return f"assert {source}  ({_short(left)} {op} {_short(right)})"


_AUG = {name: getattr(operator, "i" + name) for name in (
    "add", "sub", "mul", "matmul", "truediv", "floordiv", "mod", "pow", "lshift", "rshift",
    "and", "or", "xor")}

#: Filenames of instrumented code (the hook adds them).
_INSTRUMENTED_FILES: set[str] = set()

HELPERS: dict[str, Any] = {
    "__rl_ra__": ra, "__rl_wa__": wa, "__rl_da__": da, "__rl_aa__": aa, "__rl_rd__": rd,
    "__rl_ri__": ri, "__rl_wi__": wi, "__rl_di__": di, "__rl_gi__": gi, "__rl_si__": si, "__rl_dl__": dl,
    "__rl_sz__": sz, "__rl_wr__": wr, "__rl_ww__": ww, "__rl_mk__": mk, "__rl_inplace__": inplace,
    "__rl_va__": va, "__rl_lc__": lc, "__rl_sa__": sa, "__rl_gx__": gx, "__rl_wref__": wref, "__rl_sx__": sx, "__rl_dx__": dx, "__rl_setattr__": setattr_,
    "__rl_gr__": gr, "__rl_gw__": gw, "__rl_cr__": cr, "__rl_cw__": cw, "__rl_scope__": scope,
    "__rl_mc__": mc, "__rl_cf__": cf, "__rl_amsg__": amsg, "__rl_it__": it, "__rl_rv__": rv, "__rl_nx__": nx,
    **{f"__rl_i{name}__": function for name, function in _AUG.items()},
    "__rl_open__": tracked_open, "__rl_slice__": slice,
}


def install_helpers(helpers: dict[str, Any] | None = None) -> None:
    """Put the helpers where instrumented code finds them: in ``builtins`` (so that no
    instrumented module's namespace holds a name of racelab's). Without ``helpers``, once:
    a live run's own versions, put there by the run, stay until it ends."""
    global _installed
    if helpers is None:
        if _installed:
            return
        _installed = True
    for name, value in (helpers or HELPERS).items():
        setattr(builtins, name, value)


_installed = False


def mark_instrumented(module_name: str, filename: str) -> None:
    INSTRUMENTED.add(module_name)
    _INSTRUMENTED_FILES.add(filename)
