"""The visibility matrix: one small racy program per way of reading or writing shared state.

Every row of ``CONSTRUCTS`` is a Python construct that touches a shared container or object
(``"k" in d``, ``len(lst)``, ``for v in lst``, ``getattr(o, "x")``, ``setattr(o, "x", 2)``,
...) and a bug that only a checker who sees that construct can find. Programs are generated
from the row in one of two shapes.

``check`` (the construct reads): a writer thread makes one plain write (``d["k"] = 1``);
a checker thread evaluates the construct twice in a row, the check and then the act that
relies on it, and the scenario asserts both saw the same. Nothing visible happens between
the two evaluations, so if the construct is not a scheduling point the pair is atomic and
no schedule can put the write between them: the bug is reachable only through the
construct, and ``dpor`` would call the program correct after one schedule.

``write`` (the construct writes): the writer makes a plain write of one location and then
writes another with the construct (``o.y = 1`` then ``setattr(o, "x", 1)``); a checker reads
the first location and then the second with plain reads, and the scenario asserts it never
saw the half-done update (the first written, the second not yet). The construct is the only
step between that state and the next, so only a visible construct lets the reads in. (The
two writes go to different locations so that the construct's race with the checker is not
hidden behind the first write's: a FastTrack-style detector lets a location's first race in
an execution stand for the later ones.)

Rejected: the classic claim, two threads each doing ``if "k" not in d: d["k"] = me``. The
act is a visible write with a scheduling point of its own, so ``dfs`` switches there, between
an invisible check and its act, and finds the double claim whether the check is seen or not;
only ``dpor`` would be fooled. Here every strategy is.

Each program also has a *twin*, the same code with one ``threading.Lock`` around the
checker's looks and around the writer's steps, which must pass (with the space exhausted
under ``dfs`` and ``dpor``). Lines holding the construct end with ``# construct``, the
other thread's side of the race with ``# counterpart``: the race tests look for a data race
between exactly those lines.

``python tests/visibility/constructs.py DIR`` writes every program into DIR, to run
``racelab explore DIR/<name>.py --strategy dpor`` by hand.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Construct:
    """One row of the matrix (the templates are Python source, see the module docstring).

    ``check`` is the checker's read, an expression or statements that assign ``seen``;
    ``write`` is the writer's statements (for ``side="write"``, a plain write and then the
    construct on the last line). ``target`` is the shared container or object the construct
    touches and ``attr`` the attribute, for objects. ``torn`` (``side="write"``) is what the
    checker sees between the writer's two steps. ``race`` is False when the writer is a
    built-in container method call, which is atomic and never a data race by design.
    """

    name: str
    setup: str
    check: str
    write: str
    target: str
    attr: str | None = None
    side: str = "check"
    torn: object = None
    race: bool = True

    @property
    def module(self) -> str:
        return "vis_" + self.name.replace("-", "_")


C = Construct


IF_FULL = "if {0}:\n    seen = 'full'\nelse:\n    seen = 'empty'"
IF_NOT = "if not {0}:\n    seen = 'empty'\nelse:\n    seen = 'full'"
WHILE = "seen = False\nwhile {0}:\n    seen = True\n    break"
FOR_SUM = "seen = 0\nfor v in {0}:\n    seen += v"
FOR_KEYS = "seen = ()\nfor k in {0}:\n    seen += (k,)"
FOR_COUNT = "seen = 0\nfor v in {0}:\n    seen += 1"
THEN_OR_MISSING = "seen = {0}\ntry:\n    seen = (seen, {1})\nexcept {2}:\n    seen = (seen, 'missing')"

# name, setup, check (the construct), write (the other thread), target [, options]
READS = [
    # membership: a keyed read of a dict or set, a whole read of a list
    C("in-dict", "d = {}", "'k' in d", "d['k'] = 1", "d"),
    C("not-in-dict", "d = {}", "'k' not in d", "d['k'] = 1", "d"),
    C("in-dict-del", "d = {'k': 0}", "'k' in d", "del d['k']", "d"),
    C("in-list", "lst = [0, 0]", "1 in lst", "lst[1] = 1", "lst"),
    C("not-in-list", "lst = [0, 0]", "1 not in lst", "lst[1] = 1", "lst"),
    C("in-set", "s = set()", "'k' in s", "s.add('k')", "s", race=False),
    # len: a whole read, it conflicts with a write to any key
    C("len-dict", "d = {}", "len(d)", "d['j'] = 1", "d"),
    C("len-list", "lst = [0]", "len(lst)", "del lst[0]", "lst"),
    C("len-set", "s = set()", "len(s)", "s.add(1)", "s", race=False),
    # truthiness
    C("if-dict", "d = {}", IF_FULL.format("d"), "d['k'] = 1", "d"),
    C("if-not-list", "lst = [0]", IF_NOT.format("lst"), "del lst[0]", "lst"),
    C("while-list", "lst = [0]", WHILE.format("lst"), "del lst[0]", "lst"),
    C("not-dict", "d = {}", "not d", "d['k'] = 1", "d"),
    C("bool-list", "lst = [0]", "bool(lst)", "del lst[0]", "lst"),
    C("bool-set", "s = set()", "bool(s)", "s.add(1)", "s", race=False),
    C("ifexp-dict", "d = {}", "'full' if d else 'empty'", "d['k'] = 1", "d"),
    C("if-not-attr-list", "o = Box(); o.items = [0]", IF_NOT.format("o.items"), "del o.items[0]", "o.items"),
    # iteration, in every form
    C("for-list", "lst = [0, 0]", FOR_SUM.format("lst"), "lst[1] = 1", "lst"),
    C("for-dict", "d = {'a': 0}", FOR_KEYS.format("d"), "d['b'] = 1", "d"),
    C("for-set", "s = {'a'}", FOR_COUNT.format("s"), "s.add('b')", "s", race=False),
    C("for-attr-list", "o = Box(); o.items = [0, 0]", FOR_SUM.format("o.items"), "o.items[1] = 1", "o.items"),
    C("listcomp", "lst = [0, 0]", "[v for v in lst]", "lst[1] = 1", "lst"),
    C("setcomp", "lst = [0, 0]", "{v for v in lst}", "lst[1] = 1", "lst"),
    C("dictcomp", "d = {'a': 0}", "{k: 1 for k in d}", "d['b'] = 1", "d"),
    C("genexp-sum", "lst = [0, 0]", "sum(v for v in lst)", "lst[1] = 1", "lst"),
    C("unpack", "lst = [0, 0]", "seen, _ = lst", "lst[0] = 1", "lst"),
    C("unpack-star", "lst = [0, 0]", "seen, *rest = lst", "lst[0] = 1", "lst"),
    C("star-list", "lst = [0, 0]", "[*lst]", "lst[1] = 1", "lst"),
    C("star-call", "lst = [0, 0]", "max(*lst)", "lst[1] = 1", "lst"),
    C("star-star-dict", "d = {}", "{**d}", "d['k'] = 1", "d"),
    C("list-of-dict", "d = {}", "list(d)", "d['k'] = 1", "d"),
    C("tuple-of-list", "lst = [0, 0]", "tuple(lst)", "lst[1] = 1", "lst"),
    C("set-of-list", "lst = [0, 0]", "set(lst)", "lst[1] = 1", "lst"),
    C("dict-of-pairs", "lst = [('a', 0)]", "dict(lst)", "lst[0] = ('a', 1)", "lst"),
    C("sorted-dict", "d = {'a': 0}", "sorted(d)", "d['b'] = 1", "d"),
    C("sum", "lst = [0, 0]", "sum(lst)", "lst[1] = 1", "lst"),
    C("min", "lst = [1, 1]", "min(lst)", "lst[1] = 0", "lst"),
    C("max", "lst = [0, 0]", "max(lst)", "lst[1] = 1", "lst"),
    C("any", "lst = [0, 0]", "any(lst)", "lst[1] = 1", "lst"),
    C("all", "lst = [1, 1]", "all(lst)", "lst[1] = 0", "lst"),
    C("enumerate", "lst = [0, 0]", "list(enumerate(lst))", "lst[1] = 1", "lst"),
    C("zip", "lst = [0, 0]", "list(zip(lst, 'ab'))", "lst[1] = 1", "lst"),
    C("str-join", "lst = ['a', 'b']", "''.join(lst)", "lst[1] = 'c'", "lst"),
    C("map", "lst = [0, 0]", "list(map(str, lst))", "lst[1] = 1", "lst"),
    C("filter", "lst = [0, 0]", "list(filter(None, lst))", "lst[1] = 1", "lst"),
    C("reversed", "lst = [0, 0]", "list(reversed(lst))", "lst[1] = 1", "lst"),
    C("next-iter", "lst = [0]", "next(iter(lst))", "lst[0] = 1", "lst"),
    # comparisons and hashing (a dataclass's __eq__, __hash__ and __repr__ are generated code)
    C("eq-list", "lst = [0, 0]", "lst == [0, 0]", "lst[1] = 1", "lst"),
    C("ne-dict", "d = {}", "d != {}", "d['k'] = 1", "d"),
    C("lt-list", "lst = [0, 0]", "lst < [0, 1]", "lst[1] = 1", "lst"),
    C("subset-set", "s = set()", "s <= {'a'}", "s.add('b')", "s", race=False),
    C("eq-dataclass", "p = Point(0)", "p == Point(0)", "p.x = 1", "p", attr="x"),
    C("hash-dataclass", "p = Point(0)", "hash(p)", "p.x = 1", "p", attr="x"),
    # repr, str, format
    C("repr-list", "lst = [0]", "repr(lst)", "lst[0] = 1", "lst"),
    C("str-dict", "d = {}", "str(d)", "d['k'] = 1", "d"),
    C("fstring-list", "lst = [0]", "f'{lst}'", "lst[0] = 1", "lst"),
    C("format-dict", "d = {}", "format(d)", "d['k'] = 1", "d"),
    C("str-format-list", "lst = [0]", "'{}'.format(lst)", "lst[0] = 1", "lst"),
    C("percent-list", "lst = [0]", "'%s' % (lst,)", "lst[0] = 1", "lst"),
    C("repr-dataclass", "p = Point(0)", "repr(p)", "p.x = 1", "p", attr="x"),
    # copies
    C("copy-copy-list", "lst = [0]", "copy.copy(lst)", "lst[0] = 1", "lst"),
    C("copy-deepcopy-dict", "d = {}", "copy.deepcopy(d)", "d['k'] = 1", "d"),
    C("copy-copy-object", "o = Box(); o.x = 0", "vars(copy.copy(o))", "o.x = 1", "o", attr="x"),
    C("list-copy-method", "lst = [0]", "lst.copy()", "lst[0] = 1", "lst"),
    C("dict-copy-method", "d = {}", "d.copy()", "d['k'] = 1", "d"),
    C("set-copy-method", "s = set()", "s.copy()", "s.add(1)", "s", race=False),
    C("dict-of-dict", "d = {}", "dict(d)", "d['k'] = 1", "d"),
    C("slice-read", "lst = [0, 0]", "lst[:]", "lst[1] = 1", "lst"),
    # views: made once, read later (and made inline)
    C("keys-view", "d = {}; ks = d.keys()", "list(ks)", "d['k'] = 1", "d"),
    C("in-keys-view", "d = {}; ks = d.keys()", "'k' in ks", "d['k'] = 1", "d"),
    C("values-view", "d = {'a': 0}; vs = d.values()", "sum(vs)", "d['a'] = 1", "d"),
    C("items-view", "d = {'a': 0}; its = d.items()", "sorted(its)", "d['a'] = 1", "d"),
    C("len-values-view", "d = {}; vs = d.values()", "len(vs)", "d['k'] = 1", "d"),
    C("items-inline", "d = {'a': 0}", "sorted(d.items())", "d['a'] = 1", "d"),
    C("in-keys-inline", "d = {}", "'k' in d.keys()", "d['k'] = 1", "d"),
    # attributes through builtins, vars() and __dict__, operator
    C("getattr", "o = Box(); o.x = 0", "getattr(o, 'x')", "o.x = 1", "o", attr="x"),
    C("getattr-default", "o = Box()", "getattr(o, 'x', None)", "o.x = 1", "o", attr="x"),
    C("hasattr", "o = Box()", "hasattr(o, 'x')", "o.x = 1", "o", attr="x"),
    C("vars-item", "o = Box(); o.x = 0", "vars(o)['x']", "o.x = 1", "o", attr="x"),
    C("in-vars", "o = Box()", "'x' in vars(o)", "o.x = 1", "o", attr="x"),
    C("dunder-dict-item", "o = Box(); o.x = 0", "o.__dict__['x']", "o.x = 1", "o", attr="x"),
    C("dunder-dict-get", "o = Box(); o.x = 0", "o.__dict__.get('x')", "o.x = 1", "o", attr="x"),
    C("attrgetter", "o = Box(); o.x = 0", "operator.attrgetter('x')(o)", "o.x = 1", "o", attr="x"),
    C("itemgetter", "d = {'k': 0}", "operator.itemgetter('k')(d)", "d['k'] = 1", "d"),
]

# name, setup, check (plain reads: the first location, then the construct's), write (a plain
# write of the first location, then the construct), target [, options]; ``torn`` is what the
# checker sees when it reads between the two writes
O2 = "o = Box(); o.x = 0; o.y = 0"
D2 = "d = {'j': 0, 'k': 0}"
WRITES = [
    C("setattr", O2, "(o.y, o.x)", "o.y = 1\nsetattr(o, 'x', 1)", "o", attr="x", side="write", torn=(1, 0)),
    C("delattr", O2, THEN_OR_MISSING.format("o.y", "o.x", "AttributeError"), "o.y = 1\ndelattr(o, 'x')", "o",
      attr="x", side="write", torn=(1, 0)),
    C("vars-setitem", O2, "(o.y, o.x)", "o.y = 1\nvars(o)['x'] = 1", "o", attr="x", side="write", torn=(1, 0)),
    C("dunder-dict-setitem", O2, "(o.y, o.x)", "o.y = 1\no.__dict__['x'] = 1", "o", attr="x", side="write",
      torn=(1, 0)),
    C("dunder-dict-update", O2, "(o.y, o.x)", "o.y = 1\no.__dict__.update(x=1)", "o", attr="x", side="write",
      torn=(1, 0)),
    C("operator-setitem", D2, "(d['j'], d['k'])", "d['j'] = 1\noperator.setitem(d, 'k', 1)", "d", side="write",
      torn=(1, 0)),
    C("del-item", D2, THEN_OR_MISSING.format("d['j']", "d['k']", "KeyError"), "d['j'] = 1\ndel d['k']", "d",
      side="write", torn=(1, 0)),
    C("del-index", "lst = [0, 5, 9]", "(lst[0], lst[1])", "lst[0] = 1\ndel lst[1]", "lst", side="write",
      torn=(1, 5)),
    C("slice-assign", "lst = [0, 0]", "(lst[0], lst[1])", "lst[0] = 1\nlst[1:] = [1]", "lst", side="write",
      torn=(1, 0)),
    # in-place sorts (built-in method calls are atomic: no data race by design)
    C("sort", "lst = [1, 2]", "(lst[0], lst[1])", "lst[0] = 3\nlst.sort()", "lst", side="write", torn=(3, 2),
      race=False),
    C("sort-reverse", "lst = [2, 1]", "(lst[0], lst[1])", "lst[0] = 0\nlst.sort(reverse=True)", "lst",
      side="write", torn=(0, 1), race=False),
    C("heapify", "lst = [1, 2]", "(lst[0], lst[1])", "lst[0] = 3\nheapq.heapify(lst)", "lst", side="write",
      torn=(3, 2), race=False),
]

CONSTRUCTS = READS + WRITES
BY_NAME = {c.name: c for c in CONSTRUCTS}
assert len(BY_NAME) == len(CONSTRUCTS), "construct names must be unique"

# ---- programs ------------------------------------------------------------------------

HEADER = '''\
"""racelab visibility matrix: {name} (generated by tests/visibility/constructs.py)."""

import copy
import dataclasses
import heapq
import operator
import threading


class Box:
    pass


@dataclasses.dataclass(unsafe_hash=True)
class Point:
    x: int = 0
'''


def _block(template: str, mark: str) -> list[str]:
    """The template's lines, each ending with ``# <mark>``."""
    return [f"{line}  # {mark}" for line in template.splitlines()]


def _look(c: Construct, probe: bool) -> list[str]:
    """The body of ``look()``: the checker's read, returning what it saw."""
    mark = "construct" if c.side == "check" else "counterpart"
    if "seen" in c.check:
        body = _block(c.check, mark) + ["return seen"]
    else:
        body = _block(f"return {c.check}", mark)
    if c.side == "write":
        return body
    if probe:
        body = _probe(c, write=False) + body
    # a dict or set that changed size while being iterated is something the checker saw too
    return ["try:", *_indent(body), "except RuntimeError as error:", "    return repr(error)"]


def _writer(c: Construct, probe: bool) -> list[str]:
    """The body of ``writer()``; for ``side="write"`` the construct is its last line."""
    if c.side == "check":
        return _block(c.write, "counterpart")
    *first, last = c.write.splitlines()
    return first + (_probe(c, write=True) if probe else []) + _block(last, "construct")


def _probe(c: Construct, write: bool) -> list[str]:
    """A plain, already visible access of the construct's location: put just before the
    construct, it makes the construct visible by hand (see ``test_matrix_is_sound``)."""
    if c.attr is None:
        return [f"{c.target}.copy()  # probe"]
    place = f"{c.target}.{c.attr}"
    if write:
        return [f"{place} = {place}  # probe"]
    return ["try:", f"    {place}  # probe", "except AttributeError:", "    pass"]


def _indent(lines: list[str], by: int = 1) -> list[str]:
    return [("    " * by + line) if line else line for line in lines]


def _locked(lines: list[str], locked: bool) -> list[str]:
    return ["with lock:", *_indent(lines)] if locked else lines


def scenario(c: Construct, name: str, locked: bool, probe: bool = False) -> str:
    """One scenario function: the bug (``locked=False``) or its twin."""
    if c.side == "check":
        checker = ["checked = look()  # check ...", "acted_on = look()  # ... then act on what the check saw"]
        checker = _locked(checker, locked) + ["looks.append((checked, acted_on))"]
        verdict = ["checked, acted_on = looks[0]",
                   "assert checked == acted_on, f'the check saw {checked!r}, the act {acted_on!r}'"]
    else:
        checker = _locked(["looks.append(look())"], locked)
        verdict = [f"assert looks[0] != {c.torn!r}, f'the checker saw the half-done update {{looks[0]!r}}'"]
    body = [
        *c.setup.split("; "),
        *(["lock = threading.Lock()"] if locked else []),
        "looks = []",
        "",
        "def look():", *_indent(_look(c, probe)),
        "",
        "def writer():", *_indent(_locked(_writer(c, probe), locked)),
        "",
        "def checker():", *_indent(checker),
        "",
        "threads = [threading.Thread(target=writer), threading.Thread(target=checker)]",
        "for thread in threads:", "    thread.start()",
        "for thread in threads:", "    thread.join()",
        *verdict,
    ]
    return "\n".join([f"def {name}():", *_indent(body)]) + "\n"


def program(c: Construct, probe: bool = False) -> str:
    """The scenario file of a row: ``scenario_bug`` and its locked twin ``scenario_twin``."""
    parts = [HEADER.format(name=c.name), scenario(c, "scenario_bug", False, probe),
             scenario(c, "scenario_twin", True, probe)]
    return "\n\n".join(parts)


def live_program(c: Construct, locked: bool, rounds: int = 200) -> str:
    """A real program for ``racelab run``: the writer and the checker loop ``rounds`` times."""
    assert c.side == "check"
    writer = _locked(_block(c.write, "counterpart"), locked)
    checker = _locked(["look()"], locked)
    body = [
        *c.setup.split("; "),
        "lock = threading.Lock()",
        "",
        "",
        "def look():", *_indent(_look(c, probe=False)),
        "",
        "",
        "def writer():", f"    for _ in range({rounds}):", *_indent(writer, 2),
        "",
        "",
        "def checker():", f"    for _ in range({rounds}):", *_indent(checker, 2),
        "",
        "",
        "threads = [threading.Thread(target=writer), threading.Thread(target=checker)]",
        "for thread in threads:", "    thread.start()",
        "for thread in threads:", "    thread.join()",
    ]
    return HEADER.format(name=c.name + " (live)") + "\n\n" + "\n".join(body) + "\n"


def marked_lines(source: str, mark: str, within: str | None = None) -> set[int]:
    """The numbers of the lines ending with ``# <mark>`` (in function ``within``, if given)."""
    found, inside = set(), within is None
    for n, line in enumerate(source.splitlines(), 1):
        if within is not None and line.startswith("def "):
            inside = line.startswith(f"def {within}(")
        if inside and line.rstrip().endswith(f"# {mark}"):
            found.add(n)
    return found


def write_programs(directory: Path, probe: bool = False) -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for c in CONSTRUCTS:
        path = directory / f"{c.module}.py"
        path.write_text(program(c, probe))
        paths[c.name] = path
    return paths


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "visibility-programs")
    write_programs(out)
    write_programs(out / "probed", probe=True)
    print(f"{len(CONSTRUCTS)} programs in {out} (and made visible by hand in {out / 'probed'})")
