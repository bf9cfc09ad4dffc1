"""Bounded depth-first search over schedules (CHESS-style iterative context bounding).

The tree of decisions is explored depth first. At each decision the first child is the
non-preemptive one (stay on the current thread); the others switch. A path may contain
at most ``preemption_bound`` preemptions, that is switches away from a thread that could
have gone on. When the tree is empty, ``exhausted`` is True: no schedule within the bound
was left untried.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from racelab.errors import NondeterminismError


@dataclass
class _Node:
    runnable: tuple[int, ...]
    current: int | None
    options: list[int]  # in the order they are tried
    index: int
    preemptions_before: int

    def preempts(self, tid: int) -> bool:
        return self.current is not None and tid != self.current


class DFSStrategy:
    name = "dfs"

    def __init__(self, preemption_bound: int | None = 2) -> None:
        self.bound = preemption_bound
        #: An execution that ends before the decisions it replays is an error (not when
        #: shrinking, where an execution may stop early at another failure).
        self.strict = True
        self.exhausted = False
        self._stack: list[_Node] = []
        self._depth = 0
        self._started = False

    def new_execution(self) -> bool:
        if self._started and self.strict and self._depth < len(self._stack):
            raise NondeterminismError(
                f"the scenario is not deterministic: at decision {self._depth + 1} the execution ended, where "
                "it went on before")
        if self._started and not self._backtrack():
            self.exhausted = True
            return False
        self._started = True
        self._depth = 0
        return True

    def _allowed(self, node: _Node, tid: int) -> bool:
        if self.bound is None:
            return True
        return node.preemptions_before + (1 if node.preempts(tid) else 0) <= self.bound

    def _backtrack(self) -> bool:
        while self._stack:
            node = self._stack[-1]
            node.index += 1
            while node.index < len(node.options) and not self._allowed(node, node.options[node.index]):
                node.index += 1
            if node.index < len(node.options):
                return True
            self._stack.pop()
        return False

    def next_task(self, runnable: Sequence[int], current: int | None) -> int:
        depth = self._depth
        self._depth += 1
        if depth < len(self._stack):
            node = self._stack[depth]
            if node.runnable != tuple(runnable) or node.current != current:
                raise NondeterminismError(
                    f"the scenario is not deterministic: at decision {depth + 1} the runnable threads were "
                    f"{list(node.runnable)} before and are {list(runnable)} now")
            return node.options[node.index]
        before = 0
        if self._stack:
            last = self._stack[-1]
            before = last.preemptions_before + (1 if last.preempts(last.options[last.index]) else 0)
        first = current if current is not None else runnable[0]
        options = [first] + [t for t in runnable if t != first]
        self._stack.append(_Node(tuple(runnable), current, options, 0, before))
        return first
