"""The catalogue: scenario files, their fix files, and what each is expected to do.

Everything here reads files as text (``ast``), never imports them: listing the
catalogue must not run user code, and exploration imports the files itself through the
instrumenting hook.

Conventions
-----------
* A scenario is ``<dir>/scenarios/<id>.py``; its fixes are
  ``<dir>/fixes/<id>_<remedy>.py``. A remedy starting with ``wrong_`` is a wrong fix: it
  is expected to fail like the broken scenario does.
* A broken scenario or wrong fix may declare ``EXPECTED_FAILURE = "assertion"`` (or
  ``"exception"``, ``"deadlock"``, ...) as a module-level literal: the failure kind the
  lab expects; ``EXPECTED_FAILURE = None`` marks a scenario that shows a design which
  holds (it is expected to pass). A fix without ``wrong_`` is expected to pass.
"""

from __future__ import annotations

import ast
import enum
from dataclasses import dataclass
from pathlib import Path

from racelab.errors import UsageError

BROKEN = "broken"
WRONG_PREFIX = "wrong_"


class Role(enum.Enum):
    BROKEN = "broken"
    FIX = "fix"
    WRONG_FIX = "wrong fix"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Expectation:
    verdict: str  # "pass" | "fail"
    kind: str | None  # expected failure kind when verdict == "fail"; None means any kind

    def __str__(self) -> str:
        if self.verdict == "pass":
            return "pass"
        return f"fail ({self.kind})" if self.kind else "fail"

    def met_by(self, verdict: str, kind: str | None) -> bool:
        if verdict != self.verdict:
            return False
        return self.verdict == "pass" or self.kind is None or self.kind == kind


@dataclass(frozen=True)
class Variant:
    """One file of a comparison: the broken scenario or one of its fixes."""

    path: Path
    scenario_id: str
    remedy: str  # "broken" for the scenario itself
    role: Role
    expected: Expectation

    @property
    def label(self) -> str:
        return self.path.stem


@dataclass(frozen=True)
class Entry:
    """One scenario of the catalogue, for ``racelab list``."""

    id: str
    path: Path
    summary: str
    expected: Expectation
    fixes: tuple[str, ...]  # remedies


def _parse(path: Path) -> ast.Module:
    try:
        return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None
    except SyntaxError as exc:
        raise UsageError(f"{path}:{exc.lineno}: syntax error: {exc.msg}") from None


def summary_of(path: Path) -> str:
    """The first line of the module docstring ('' when there is none)."""
    doc = ast.get_docstring(_parse(path)) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


#: ``EXPECTED_FAILURE = None``: a scenario that demonstrates a design which holds.
PASSES = "<passes>"


def declared_failure(path: Path) -> str | None:
    """The module-level literal ``EXPECTED_FAILURE = "<kind>"``, if any."""
    for node in _parse(path).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and target.id == "EXPECTED_FAILURE":
                if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                    return node.value.value
                if isinstance(node.value, ast.Constant) and node.value.value is None:
                    return PASSES
    return None


def fixes_dir(scenario: Path) -> Path:
    """``fixes/`` is the sibling of the folder that holds the scenarios."""
    return _relative_to_cwd(scenario.resolve().parent.parent / "fixes")


def _relative_to_cwd(path: Path) -> Path:
    """Shorter paths in tables and replay commands, when the file is under the current folder."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def scenario_files(folder: Path) -> list[Path]:
    """The scenario files of a folder, sorted by id (private ``_*.py`` files are helpers)."""
    return sorted(p for p in folder.glob("*.py") if not p.name.startswith("_"))


def find_fixes(scenario: Path) -> list[Path]:
    """``fixes/<id>_*.py``, without the fixes of a longer scenario id that shares the prefix."""
    sid = scenario.stem
    folder = fixes_dir(scenario)
    if not folder.is_dir():
        return []
    longer = [s.stem for s in scenario_files(scenario.parent) if s.stem.startswith(sid + "_")]
    found = []
    for path in sorted(folder.glob(f"{sid}_*.py")):
        if any(path.stem.startswith(other + "_") for other in longer):
            continue
        found.append(path)
    return found


def broken_variant(scenario: Path) -> Variant:
    kind = declared_failure(scenario)
    if kind == PASSES:
        return Variant(scenario, scenario.stem, BROKEN, Role.BROKEN, Expectation("pass", None))
    return Variant(scenario, scenario.stem, BROKEN, Role.BROKEN, Expectation("fail", kind))


def fix_variant(fix: Path, scenario_id: str) -> Variant:
    stem = fix.stem
    remedy = stem[len(scenario_id) + 1 :] if stem.startswith(scenario_id + "_") else stem
    if remedy.startswith(WRONG_PREFIX):
        return Variant(fix, scenario_id, remedy, Role.WRONG_FIX, Expectation("fail", declared_failure(fix)))
    return Variant(fix, scenario_id, remedy, Role.FIX, Expectation("pass", None))


def variants(scenario: Path, explicit: list[Path] | None = None) -> list[Variant]:
    """The broken scenario first, then its fixes (the explicit ones, or those found by name)."""
    check_file(scenario)
    fixes = explicit if explicit else find_fixes(scenario)
    for fix in fixes:
        check_file(fix)
    return [broken_variant(scenario)] + [fix_variant(f, scenario.stem) for f in fixes]


def check_file(path: Path) -> None:
    if not path.is_file():
        raise UsageError(f"no such scenario file: {path}")
    if path.suffix != ".py":
        raise UsageError(f"not a Python file: {path}")


def catalogue(folder: Path) -> list[Entry]:
    """Every scenario of ``folder`` with its summary, expected failure and known remedies."""
    if not folder.is_dir():
        raise UsageError(f"no such folder: {folder}")
    entries = []
    for path in scenario_files(folder):
        remedies = tuple(fix_variant(f, path.stem).remedy for f in find_fixes(path))
        entries.append(Entry(path.stem, path, summary_of(path), broken_variant(path).expected, remedies))
    return entries
