"""Python behaviour that instrumentation must leave exactly as it is.

Each ``check_*`` function returns plain data describing what the language did. The test runs
them three ways: plainly (``python transparency.py OUT``), under ``racelab run`` (live mode,
this file instrumented as the program's own module) and under ``racelab explore`` (the
``scenario`` below, in a controlled thread); the three records must be equal.
"""

from __future__ import annotations

import copy
import dataclasses
import gc
import inspect
import json
import logging
import os
import pickle
import sys
import threading
import traceback
import types
import weakref

HERE = os.path.basename(__file__)


def _depth() -> int:
    return len(traceback.extract_stack())


def _rl_names(names) -> list[str]:
    return sorted(n for n in names if n.startswith("__rl"))


# ---- name mangling ------------------------------------------------------------------


class Sized:
    def __init__(self) -> None:
        self.__size = 0
        self.__items = {}

    def add(self, key, value) -> None:
        self.__items[key] = value
        self.__size += 1

    def __len__(self) -> int:
        return self.__size

    def __contains__(self, key) -> bool:
        return key in self.__items


class SizedChild(Sized):
    def __init__(self) -> None:
        super().__init__()
        self.__size = "child's own"

    def own(self):
        return self.__size


def check_mangling():
    s = SizedChild()
    s.add("a", 1)
    s.add("b", 2)
    return {"len": len(s), "in": "a" in s, "own": s.own(), "attrs": sorted(vars(s)),
            "getattr": getattr(s, "_Sized__size"), "rl": _rl_names(dir(s))}


# ---- descriptors and attribute hooks run once -------------------------------------------

CALLS: list[str] = []


class Counted:
    def __get__(self, obj, owner=None):
        CALLS.append("get")
        return 41 if obj is None else 42

    def __set__(self, obj, value):
        CALLS.append(f"set {value}")

    def __delete__(self, obj):
        CALLS.append("delete")


class WithDescriptor:
    field = Counted()

    @property
    def prop(self):
        CALLS.append("prop")
        return _depth()

    @prop.setter
    def prop(self, value):
        CALLS.append(f"prop= {value}")


def check_descriptors():
    del CALLS[:]
    o = WithDescriptor()
    v = o.field
    o.field = 7
    o.field += 1
    del o.field
    got = getattr(o, "field")
    setattr(o, "field", 9)
    has = hasattr(o, "field")
    cls = WithDescriptor.field
    before = _depth()
    inside = o.prop
    o.prop = 3
    return {"calls": list(CALLS), "values": [v, got, has, cls], "property_depth": inside - before}


class Hooked:
    def __init__(self) -> None:
        object.__setattr__(self, "log", [])
        object.__setattr__(self, "real", 1)

    def __getattribute__(self, name):
        if name != "log":
            object.__getattribute__(self, "log").append(f"getattribute {name}")
        return object.__getattribute__(self, name)

    def __getattr__(self, name):
        self.log.append(f"getattr {name}")
        if name == "missing_ok":
            return "made up"
        raise AttributeError(name)

    def __setattr__(self, name, value):
        self.log.append(f"setattr {name}")
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        self.log.append(f"delattr {name}")
        object.__delattr__(self, name)


def check_attribute_hooks():
    h = Hooked()
    a = h.real
    b = h.missing_ok
    try:
        h.absent
    except AttributeError as e:
        c = str(e)
    h.real = 2
    h.real += 1
    del h.real
    d = getattr(h, "missing_ok", None)
    e = getattr(h, "absent", "default")
    f = hasattr(h, "absent")
    return {"log": list(object.__getattribute__(h, "log")), "values": [a, b, c, d, e, f]}


class LoudModule(types.ModuleType):
    def __getattribute__(self, name):
        if not name.startswith("__"):
            CALLS.append(f"module get {name}")
        return super().__getattribute__(name)

    def __setattr__(self, name, value):
        if not name.startswith("__"):
            CALLS.append(f"module set {name}")
        super().__setattr__(name, value)

    def __getattr__(self, name):
        if name == "lazy":
            CALLS.append("module lazy")
            return "loaded"
        raise AttributeError(name)


class ModuleLevelProperty(types.ModuleType):
    @property
    def computed(self):
        CALLS.append("module property")
        return 5


def check_module_objects():
    del CALLS[:]
    m = LoudModule("loud")
    m.x = 1
    m.x += 1
    got = [m.x, m.lazy, getattr(m, "lazy"), hasattr(m, "nothing")]
    p = ModuleLevelProperty("prop")
    got.append(p.computed)
    got.append(getattr(p, "computed"))
    return {"calls": list(CALLS), "values": got}


class LoudMeta(type):
    def __getattribute__(cls, name):
        if not name.startswith("__"):
            CALLS.append(f"class get {name}")
        return super().__getattribute__(name)

    def __setattr__(cls, name, value):
        CALLS.append(f"class set {name}")
        super().__setattr__(name, value)


class LoudClass(metaclass=LoudMeta):
    counter = 0
    registry: dict = {}

    @classmethod
    def bump(cls):
        cls.counter += 1
        cls.registry[cls.counter] = cls.__name__
        return cls.counter


def check_class_hooks():
    del CALLS[:]
    LoudClass.counter = 0
    LoudClass.registry.clear()
    LoudClass.bump()
    LoudClass.bump()
    values = [LoudClass.counter, dict(LoudClass.registry), getattr(LoudClass, "counter"), LoudClass().counter]
    return {"calls": list(CALLS), "values": values}


# ---- slots, metaclasses, super(), dataclasses ---------------------------------------


class Slotted:
    __slots__ = ("a", "b")

    def __init__(self) -> None:
        self.a = 1

    def bump(self):
        self.a += 1
        try:
            self.b += 1
        except AttributeError as e:
            return type(e).__name__
        return "no error"


class Meta(type):
    created: list[str] = []

    def __new__(mcls, name, bases, ns):
        cls = super().__new__(mcls, name, bases, ns)
        Meta.created.append(name)
        return cls

    def __getattr__(cls, name):
        return f"meta {name}"

    def __call__(cls, *args):
        obj = super().__call__(*args)
        obj.made_by = "Meta"
        return obj


class WithMeta(metaclass=Meta):
    def __init__(self, x) -> None:
        self.x = x


class Base:
    def hello(self):
        return ["Base"]


class Left(Base):
    def hello(self):
        return ["Left"] + super().hello()


class Right(Base):
    def hello(self):
        return ["Right"] + super().hello()


class Both(Left, Right):
    def hello(self):
        return ["Both"] + super().hello()

    @classmethod
    def kind(cls):
        return [cls.__name__, super().__init_subclass__.__name__]


@dataclasses.dataclass(order=True)
class Point:
    x: int
    y: int = 0
    tags: list = dataclasses.field(default_factory=list, compare=False)

    def moved(self, dx):
        return dataclasses.replace(self, x=self.x + dx)


@dataclasses.dataclass(frozen=True, slots=True)
class Frozen:
    a: int
    b: str = "b"


def check_classes():
    s = Slotted()
    bumped = s.bump()
    try:
        s.c = 1
        slot_error = "none"
    except AttributeError:
        slot_error = "AttributeError"
    w = WithMeta(3)
    p = Point(1, 2, ["t"])
    q = p.moved(2)
    f = Frozen(1)
    try:
        f.a = 2
        frozen_error = "none"
    except dataclasses.FrozenInstanceError:
        frozen_error = "FrozenInstanceError"
    return {
        "slots": [s.a, bumped, slot_error, hasattr(s, "__dict__")],
        "meta": [list(Meta.created), w.x, w.made_by, WithMeta.anything],
        "super": [Both().hello(), Both.kind()],
        "dataclass": [repr(p), repr(q), p < q, p == Point(1, 2), dataclasses.asdict(p),
                      repr(f), frozen_error, f == Frozen(1), hash(f) == hash(Frozen(1)),
                      [fl.name for fl in dataclasses.fields(Point)]],
    }


# ---- scopes: match, walrus, nonlocal, late global -----------------------------------

LATE: dict = {}


def check_scopes():
    out = []
    for value in [{"k": 1, "rest": 2}, [1, 2, 3], Point(4, 5), "str", 7]:
        match value:
            case {"k": k, **rest}:
                out.append(["mapping", k, rest])
            case [first, *others]:
                out.append(["sequence", first, others])
            case Point(x=px, y=py):
                out.append(["class", px, py])
            case str() as s:
                out.append(["str", s])
            case _:
                out.append(["other"])
    data = {"a": [1, 2]}
    if (n := len(data["a"])) > 1:
        out.append(["walrus", n])
    squares = [y for x in range(4) if (y := x * x) % 2 == 0]
    out.append(["comprehension walrus", squares, y])

    count = 0
    items = []

    def inc():
        nonlocal count
        count += 1
        items.append(count)
        return count

    inc()
    inc()
    out.append(["nonlocal", count, items])

    LATE.clear()

    def late():
        global LATE_NAME
        LATE_NAME = {"set": "late"}
        LATE["x"] = LATE.get("x", 0) + 1

    late()
    out.append(["late global", LATE_NAME, LATE])
    keys = sorted(locals())
    out.append(["locals", [k for k in keys if not k.startswith("__rl")], _rl_names(keys)])
    out.append(["globals", _rl_names(globals())])
    return out


# ---- tracebacks, source, frames, pickling, weak references -----------------------------


def raises(d):
    return d["missing"]


def check_tracebacks():
    try:
        raises({})
    except KeyError as e:
        frames = [(f.name, f.lineno - raises.__code__.co_firstlineno, f.line)
                  for f in traceback.extract_tb(e.__traceback__) if os.path.basename(f.filename) == HERE]
    method_depth = []

    class Probe:
        def method(self):
            return _depth()

        @staticmethod
        def static():
            return _depth()

    before = _depth()
    method_depth = [Probe().method() - before, Probe.static() - before, (lambda: _depth())() - before]
    return {"frames": frames, "depth": method_depth,
            "source": inspect.getsource(raises), "lines": inspect.getsourcelines(check_tracebacks)[1]
            - check_tracebacks.__code__.co_firstlineno,
            "code_names": sorted(n for n in raises.__code__.co_names if not n.startswith("__rl")),
            "qualname": [Both.hello.__qualname__, check_tracebacks.__qualname__, Sized.add.__name__]}


def check_pickling():
    p = Point(1, 2, ["a"])
    f = Frozen(3, "x")
    s = SizedChild()
    s.add("k", "v")
    back = pickle.loads(pickle.dumps([p, f, s]))
    deep = copy.deepcopy(s)
    shallow = copy.copy(p)
    return [repr(back[0]), repr(back[1]), len(back[2]), "k" in back[2], len(deep), "k" in deep,
            shallow == p, shallow.tags is p.tags]


class Node:
    def __init__(self) -> None:
        self.peer = None
        self.data = {"v": 1}


def check_weak_references():
    a = Node()
    b = Node()
    a.peer, b.peer = b, a  # a cycle
    a.data["v"] += 1
    refs = [weakref.ref(a), weakref.ref(b)]
    plain = Node()
    plain.data["w"] = 2
    refs.append(weakref.ref(plain))
    has_weakref_slot = [type(a.__weakref__).__name__, a.__weakref__ is refs[0]]
    del a, b, plain
    gc.collect()
    dead = [r() is None for r in refs]
    return {"dead": dead, "weakref": has_weakref_slot}


# ---- generators, decorators, class bodies, frames seen by callers ---------------------


def countdown(n):
    seen = []
    while n:
        sent = yield n
        seen.append(sent)
        n -= 1
    return seen


async def agen(items):
    for item in items:
        yield item * 2


async def collect():
    return [v async for v in agen([1, 2, 3])]


def logged(fn):
    def wrapper(*args):
        LOG.append(fn.__name__)
        return fn(*args)
    wrapper.__wrapped__ = fn
    return wrapper


LOG: list = []


@logged
def decorated(x):
    return x + 1


class Body:
    items = [i * i for i in range(3)]
    total = sum(items)
    names = {}
    for i in range(2):
        names[f"n{i}"] = i
    del i


def caller_name():
    return sys._getframe(1).f_code.co_name


class Frames:
    def method(self):
        return caller_name()

    @property
    def prop(self):
        return sys._getframe(1).f_code.co_name

    def warn(self):
        import warnings
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            warnings.warn("careful", stacklevel=2)
        return [(os.path.basename(w.filename), w.lineno - check_generators_and_frames.__code__.co_firstlineno)
                for w in caught]


class Replaced:
    pass


def check_generators_and_frames():
    del LOG[:]
    g = countdown(3)
    values = [next(g), g.send("a"), g.send("b")]
    try:
        g.send("c")
    except StopIteration as stop:
        values.append(stop.value)
    import asyncio
    values.append(asyncio.run(collect()))
    values.append([decorated(1), list(LOG), decorated.__wrapped__.__name__])
    values.append([Body.items, Body.total, Body.names, hasattr(Body, "i")])
    f = Frames()
    values.append([f.method(), f.prop, f.warn()])

    global Replaced
    class Sub(Replaced):
        pass
    before = [c.__name__ for c in Replaced.__subclasses__()]
    del Sub
    gc.collect()
    after = [c.__name__ for c in Replaced.__subclasses__()]
    values.append([before, after])
    return values


class Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.seen = []

    def emit(self, record) -> None:
        self.seen.append([os.path.basename(record.pathname), record.funcName,
                          record.lineno - check_logging.__code__.co_firstlineno, record.getMessage()])


def check_logging():
    """``logging`` finds its caller by walking up the frames: no helper frame may stand there."""
    log = logging.getLogger("transparency")
    recorder = Recorder()
    log.addHandler(recorder)
    log.propagate = False
    log.setLevel(logging.INFO)
    try:
        log.info("info %s", [1])
        log.warning("warning %d", 2)
        logging.getLogger("transparency").error("error")
    finally:
        log.removeHandler(recorder)
    return recorder.seen


CHECKS = [check_mangling, check_descriptors, check_attribute_hooks, check_module_objects, check_class_hooks, check_classes,
          check_scopes, check_tracebacks, check_pickling, check_weak_references,
          check_generators_and_frames, check_logging]


def record() -> dict:
    out = {}
    for check in CHECKS:
        try:
            out[check.__name__] = check()
        except Exception as e:  # a difference is what the test reports
            out[check.__name__] = f"raised {type(e).__name__}: {e}"
    return out


def write(path: str) -> None:
    with open(path, "w") as f:
        json.dump(record(), f, indent=1, sort_keys=True, default=repr)


def scenario_transparency():
    """Under explore: the checks in a controlled thread beside the main one."""
    done = []
    worker = threading.Thread(target=lambda: done.append(write(os.environ["TRANSPARENCY_OUT"])))
    worker.start()
    worker.join()
    assert done == [None]


if __name__ == "__main__":
    write(sys.argv[1])
