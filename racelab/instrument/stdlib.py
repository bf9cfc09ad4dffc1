"""Which calls into the standard library read their arguments (shared by the rewriter and the runtime).

racelab does not instrument the standard library. Its C code runs as one step under the GIL, and
a call of one of its functions or classes from instrumented code is taken to read each argument
whole, a container's items or an object's attributes, in that step (``statistics.mean(lst)``,
``collections.Counter(lst)``, ``dataclasses.asdict(obj)``): so DPOR orders the call against every
change of what it reads, and the race detector sees the read. The modules below are the
exceptions: racelab controls them (their objects synchronize; they are no data), or their calls
only keep or pass on what they are given (``weakref.ref(obj)``, ``functools.partial(f, obj)``),
or look at the caller's frame (``warnings.warn``, ``logging``: a call that reads its arguments
at run time, with no name the rewriter can see, goes through a helper's frame).
``itertools`` iterates its arguments lazily: each step is a scheduling point on the container,
as for ``zip`` and ``map``.
"""

from __future__ import annotations

NON_READING = frozenset({
    "threading", "queue", "time", "concurrent", "asyncio", "socket", "selectors",
    "select", "subprocess", "signal", "weakref", "typing", "abc", "contextlib", "types", "gc",
    "sys", "inspect", "warnings", "traceback", "functools", "atexit", "builtins", "io", "os", "posix",
    "multiprocessing", "enum", "itertools", "logging", "pdb", "racelab", "racelab_pytest", "_pytest", "pytest",
    "pluggy", "hypothesis", "sortedcontainers",
})
#: ... except these functions, which do read their arguments.
READING = frozenset({("functools", "reduce")})

#: ``itertools`` functions: the positions of the arguments they iterate (``None``: all).
ITERATES: dict[str, tuple[int, ...] | None] = {
    "chain": None, "zip_longest": None, "product": None, "islice": (0,), "groupby": (0,), "takewhile": (1,),
    "dropwhile": (1,), "filterfalse": (1,), "accumulate": (0,), "compress": (0, 1), "starmap": (1,),
    "tee": (0,), "cycle": (0,), "pairwise": (0,), "batched": (0,), "permutations": (0,), "combinations": (0,),
    "combinations_with_replacement": (0,),
}


def reads_arguments(module: object, name: str) -> bool:
    """Whether a call of ``module.name``, a function or class of the standard library, is taken
    to read its arguments whole."""
    if not isinstance(module, str):
        return False
    top = module.partition(".")[0].lstrip("_")  # ``_warnings`` is ``warnings``' C half
    if top in NON_READING:
        return (top, name) in READING
    return True
