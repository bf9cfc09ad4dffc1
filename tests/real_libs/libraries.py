"""The real libraries whose own test suites the differential test runs, pinned.

Each is pure Python, ships its tests in its sdist, and was chosen for what it does to the
rewriter (``stresses``). ``tests`` and ``pytest_args`` select a suite that passes plain on
Python 3.11-3.13 in a few seconds; what is left out, and why, is said next to it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .fetch import Dist


@dataclass(frozen=True)
class Library:
    sdist: Dist
    #: The import names racelab instruments (``--instrument``).
    modules: tuple[str, ...]
    #: The directory of the sdist that goes on ``sys.path`` ("." or "src").
    source: str
    #: Test files or directories, relative to the sdist's root, and extra pytest arguments.
    tests: tuple[str, ...]
    stresses: str
    pytest_args: tuple[str, ...] = ()
    #: Pure-Python wheels the suite needs besides pytest (unpacked onto ``PYTHONPATH``).
    deps: tuple[Dist, ...] = ()
    #: Wall-clock limit (seconds) of one instrumented run; a plain run gets ``PLAIN_BUDGET``.
    budget: float = 120.0

    @property
    def name(self) -> str:
        return self.sdist.name


def _sdist(name: str, version: str, filename: str, sha256: str) -> Dist:
    return Dist(name, version, filename, sha256)


LIBRARIES: tuple[Library, ...] = (
    Library(
        _sdist("cachetools", "8.0.2", "cachetools-8.0.2.tar.gz",
               "30ac523adfc118b51d2b2e7bad8a0ddb31370dfe2700c7f10ca224f36ccf81e0"),
        modules=("cachetools",), source="src", tests=("tests",),
        stresses="private names (self.__size, self.__links), descriptors (cachedmethod), decorators "
                 "wrapping locks and conditions",
        budget=300.0,  # about 66 s live here: 500 tests, many cache operations each
    ),
    Library(
        _sdist("six", "1.17.0", "six-1.17.0.tar.gz",
               "ff70335d468e7eb6ec65b95b99d3a2836546063f63acc5171de367e834932a81"),
        modules=("six",), source=".", tests=("test_six.py",),
        stresses="a module subclass with __getattr__ and lazy descriptors on modules, a meta path "
                 "importer, with_metaclass/add_metaclass, sys._getframe",
    ),
    Library(
        _sdist("toolz", "1.2.0", "toolz-1.2.0.tar.gz",
               "9667a038e9d6ecba37995e26cb2f59ec6420b6ad8dd9677de59db9b956b08490"),
        modules=("toolz", "tlz"), source=".", tests=("toolz/tests",),
        stresses="generators everywhere, curry (__getattr__, __signature__, pickling of curried "
                 "functions), the tlz meta path importer",
    ),
    Library(
        _sdist("boltons", "26.2.0", "boltons-26.2.0.tar.gz",
               "d39cfd15c1a1c3bd4d705c82252fa9edb8e4f5e8cc039f8e39afac7b1b47e92c"),
        modules=("boltons",), source=".", tests=("tests",),
        stresses="descriptors (cachedproperty, cachedmethod), FunctionBuilder (code generation, "
                 "signatures), tracebacks and frames (tbutils), generators (iterutils), pickling",
    ),
    Library(
        _sdist("attrs", "26.1.0", "attrs-26.1.0.tar.gz",
               "d03ceb89cb322a8fd706d4fb91940737b6642aa36998fe130a9bc96c985eff32"),
        modules=("attr", "attrs"), source="src", tests=("tests",),
        # test_packaging reads the installed distribution's metadata: there is none here;
        # test_funcs and test_make are left out for time (17 of the suite's 20 s, Hypothesis);
        # test_wrapped_annotation fails plain on Python 3.11 in this release
        pytest_args=("--ignore=tests/test_packaging.py", "--ignore=tests/test_funcs.py",
                     "--ignore=tests/test_make.py",
                     "--deselect=tests/test_converters.py::TestPipe::test_wrapped_annotation"),
        stresses="generated __init__/__eq__/__hash__ (exec of generated source), __slots__ classes, "
                 "descriptors, __set_name__, a module __getattr__, pickling and copying of slotted classes",
    ),
    Library(
        _sdist("jsonpickle", "4.1.4", "jsonpickle-4.1.4.tar.gz",
               "8adf24cca611809b55ff5ed2ace850e1a3e4370dad5d363df71569b8f46c9645"),
        modules=("jsonpickle",), source=".", tests=("tests",),
        # test_warnings counts the warnings of one encode: it also gets jsonpickle's own
        # DeprecationWarning about ``keys`` (2 != 1) with this pytest
        pytest_args=("--deselect=tests/jsonpickle_test.py::test_warnings",),
        deps=(Dist("simplejson", "4.3.0", "simplejson-4.3.0-py3-none-any.whl",
                   "48d5d79d723300b49f18bbd88d786c0410cc58b869c121024a132e2e49f9cf35"),),
        stresses="the pickle protocol (__reduce__, __getstate__/__setstate__, copyreg), introspection "
                 "of classes and modules by name, references between objects by id",
    ),
    Library(
        _sdist("python-dateutil", "4.0.0", "python_dateutil-4.0.0.tar.gz",
               "d7295ff14fdc0f92f662100bfb6c551d160ca090f2939f1ec5b9794265c03f06"),
        modules=("dateutil",), source="src",
        # the time zone, relativedelta and utils tests: test_rrule (most of the rest, and slow
        # when explored), the parser's and the property-based suites are left out for time;
        # test_gettz_link[...Monaco...] depends on the system's tzdata. The suite's conftest
        # marks tests no_cover, a mark of pytest-cov (not installed here), and its
        # configuration makes warnings errors.
        tests=("tests/test_tz.py", "tests/test_relativedelta.py", "tests/test_utils.py", "tests/test_internals.py"),
        pytest_args=("-W", "ignore::pytest.PytestUnknownMarkWarning",
                     "--deselect=tests/test_tz.py::test_gettz_link[tzpath-Europe/Monaco-Europe/Paris]"),
        stresses="_thread.allocate_lock in the tz caches, singleton metaclasses of the tz factories "
                 "(private class attributes), weak references and strong caches, tzinfo subclasses "
                 "called back by the datetime C code",
        deps=(Dist("freezegun", "1.5.5", "freezegun-1.5.5-py3-none-any.whl",
                   "cd557f4a75cf074e84bc374249b9dd491eaeacd61376b9eb3c423282211619d2"),),
    ),
    Library(
        _sdist("munch", "4.0.0", "munch-4.0.0.tar.gz",
               "542cb151461263216a4e37c3fd9afc425feeaf38aaa3025cd2a981fadb422235"),
        modules=("munch",), source=".", tests=("tests",),
        # two cases of test_reserved_attributes fail plain on Python 3.13 (class attributes new in 3.13)
        pytest_args=("--deselect=tests/test_munch.py::test_reserved_attributes[__firstlineno__]",
                     "--deselect=tests/test_munch.py::test_reserved_attributes[__static_attributes__]"),
        stresses="a dict subclass with __getattr__/__setattr__/__delattr__, object.__getattribute__, "
                 "pickling and copying, __dir__",
    ),
    Library(
        _sdist("decorator", "5.3.1", "decorator-5.3.1.tar.gz",
               "4cbcdd55a6efadb9dbea26b858f4fb3264567b52d69ca0d25b721b553f60ea82"),
        modules=("decorator",), source="src", tests=("tests/test.py",),
        stresses="signature-preserving decorators built by exec of generated source, __wrapped__, "
                 "generator and coroutine functions, sys._getframe",
    ),
    Library(
        _sdist("pyrsistent", "0.20.0", "pyrsistent-0.20.0.tar.gz",
               "4c48f78f62ab596c679086084d0dd13254ae4f3d6c72a83ffdf5ebdef8f265a4"),
        modules=("pyrsistent", "_pyrsistent_version"), source=".", tests=("tests",),
        # the Hypothesis state machine test is left out for time (6 of the suite's 8 s)
        pytest_args=("--ignore=tests/hypothesis_vector_test.py",),
        stresses="metaclasses (PRecord, PClass, checked types), __slots__, __weakref__, pickling by "
                 "__reduce__, a pure-Python vector (the C extension is not built)",
    ),
)

PLAIN_BUDGET = 120.0

BY_NAME = {library.name: library for library in LIBRARIES}
