"""Linear-time full matching of the service model's ``pattern`` constraints.

Python's ``re`` backtracks, and some patterns of the ECR model backtrack exponentially:
``ScanningRepositoryFilterValue``'s ``^[a-z0-9*](?:[._\\-/a-z0-9*]?[a-z0-9*]+)*$`` takes
minutes on 30 characters. Every request member is checked against its pattern, so a
request could stall the mock. Here a pattern is parsed with ``re``'s own parser (so it
means exactly what ``re`` makes of it) into a Thompson NFA, which is run as a DFA built
lazily, one cached transition per (state set, character): matching costs one dictionary
lookup per character once warm, and never more than the NFA's size per character.

Patterns using anything beyond literals, classes, alternation, groups, repeats and the
``^``/``$`` anchors (none in the ECR model) fall back to ``re``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from functools import cache
from typing import Any, cast

if sys.version_info >= (3, 11):
    from re import _constants as C  # type: ignore[attr-defined]
    from re import _parser as parser  # type: ignore[attr-defined]
else:  # pragma: no cover - Python 3.10
    import sre_constants as C
    import sre_parse as parser

_EPSILON, _CHAR, _BEGIN, _END, _MATCH = range(5)
#: transitions cached per compiled pattern before the cache starts over
_CACHE_LIMIT = 20_000

_CATEGORIES: dict[object, Callable[[str], bool]] = {
    C.CATEGORY_DIGIT: str.isdecimal,
    C.CATEGORY_NOT_DIGIT: lambda ch: not ch.isdecimal(),
    C.CATEGORY_SPACE: str.isspace,
    C.CATEGORY_NOT_SPACE: lambda ch: not ch.isspace(),
    C.CATEGORY_WORD: lambda ch: ch.isalnum() or ch == "_",
    C.CATEGORY_NOT_WORD: lambda ch: not (ch.isalnum() or ch == "_"),
}


class _Unsupported(Exception):
    pass


class _Automaton:
    """A Thompson NFA over ``re``'s parse tree, matched as a lazily built DFA."""

    def __init__(self, pattern: str) -> None:
        self.kinds: list[int] = []
        self.tests: list[Callable[[str], bool] | None] = []
        self.outs: list[list[int]] = []
        match = self._state(_MATCH)
        self.start = self._sequence(parser.parse(pattern), match)
        self.match = match
        self._steps: dict[tuple[frozenset[int], str], frozenset[int]] = {}
        self._accepts: dict[tuple[frozenset[int], bool], bool] = {}
        self._first = self._closure((self.start,), begin=True, end=False)

    # -- construction: each builder returns the state that starts its fragment -------------
    def _state(self, kind: int, test: Callable[[str], bool] | None = None, outs: list[int] | None = None) -> int:
        self.kinds.append(kind)
        self.tests.append(test)
        self.outs.append(outs if outs is not None else [])
        return len(self.kinds) - 1

    def _sequence(self, items: object, out: int) -> int:
        for op, av in reversed(list(items)):  # type: ignore[call-overload]
            out = self._item(op, av, out)
        return out

    def _item(self, op: object, av: object, out: int) -> int:
        if op is C.LITERAL:
            char = chr(av)  # type: ignore[arg-type]
            return self._state(_CHAR, char.__eq__, [out])
        if op is C.NOT_LITERAL:
            char = chr(av)  # type: ignore[arg-type]
            return self._state(_CHAR, char.__ne__, [out])
        if op is C.ANY:
            return self._state(_CHAR, "\n".__ne__, [out])
        if op is C.IN:
            return self._state(_CHAR, _class_test(av), [out])  # type: ignore[arg-type]
        if op is C.BRANCH:
            return self._state(_EPSILON, outs=[self._sequence(alt, out) for alt in av[1]])  # type: ignore[index]
        if op is C.SUBPATTERN:
            _group, add_flags, del_flags, body = cast("tuple[Any, int, int, Any]", av)
            if add_flags or del_flags:
                raise _Unsupported("inline flags")
            return self._sequence(body, out)
        if op in (C.MAX_REPEAT, C.MIN_REPEAT):
            low, high, body = cast("tuple[int, int, Any]", av)
            return self._repeat(low, high, body, out)
        if op is C.AT:
            if av in (C.AT_BEGINNING, C.AT_BEGINNING_STRING):
                return self._state(_BEGIN, outs=[out])
            if av in (C.AT_END, C.AT_END_STRING):
                return self._state(_END, outs=[out])
        raise _Unsupported(str(op))

    def _repeat(self, low: int, high: int, body: object, out: int) -> int:
        if high == C.MAXREPEAT:
            loop = self._state(_EPSILON)
            self.outs[loop] = [self._sequence(body, loop), out]
            start = loop
        else:
            start = out
            for _ in range(high - low):  # optional copies: (X(X(X)?)?)?
                start = self._state(_EPSILON, outs=[self._sequence(body, start), out])
        for _ in range(low):
            start = self._sequence(body, start)
        return start

    # -- matching ------------------------------------------------------------------------
    def _closure(self, states: object, *, begin: bool, end: bool) -> frozenset[int]:
        seen: set[int] = set()
        stack = list(states)  # type: ignore[call-overload]
        while stack:
            state = stack.pop()
            if state in seen:
                continue
            seen.add(state)
            kind = self.kinds[state]
            if kind == _EPSILON or (kind == _BEGIN and begin) or (kind == _END and end):
                stack.extend(self.outs[state])
        return frozenset(seen)

    def _step(self, states: frozenset[int], char: str) -> frozenset[int]:
        key = (states, char)
        found = self._steps.get(key)
        if found is None:
            moved = [
                self.outs[state][0]
                for state in states
                if self.kinds[state] == _CHAR and self.tests[state](char)  # type: ignore[misc]
            ]
            found = self._closure(moved, begin=False, end=False)
            if len(self._steps) >= _CACHE_LIMIT:
                self._steps.clear()
            self._steps[key] = found
        return found

    def _accepts_at_end(self, states: frozenset[int], at_start: bool) -> bool:
        key = (states, at_start)
        found = self._accepts.get(key)
        if found is None:
            found = self.match in self._closure(states, begin=at_start, end=True)
            if len(self._accepts) >= _CACHE_LIMIT:
                self._accepts.clear()
            self._accepts[key] = found
        return found

    def fullmatch(self, text: str) -> bool:
        states = self._first
        for char in text:
            states = self._step(states, char)
            if not states:
                return False
        return self._accepts_at_end(states, not text)


def _class_test(items: list[tuple[object, object]]) -> Callable[[str], bool]:
    negate = False
    chars: set[str] = set()
    ranges: list[tuple[int, int]] = []
    categories: list[Callable[[str], bool]] = []
    for op, av in items:
        if op is C.NEGATE:
            negate = True
        elif op is C.LITERAL:
            chars.add(chr(av))  # type: ignore[arg-type]
        elif op is C.RANGE:
            ranges.append(av)  # type: ignore[arg-type]
        elif op is C.CATEGORY and av in _CATEGORIES:
            categories.append(_CATEGORIES[av])
        else:
            raise _Unsupported(str(op))

    def test(char: str) -> bool:
        code = ord(char)
        found = (
            char in chars
            or any(low <= code <= high for low, high in ranges)
            or any(category(char) for category in categories)
        )
        return found != negate

    return test


@cache
def compile_fullmatch(pattern: str) -> Callable[[str], bool]:
    """A function telling whether a whole string matches ``pattern``, in time linear in its length."""
    try:
        return _Automaton(pattern).fullmatch
    except _Unsupported:
        compiled = re.compile(pattern)
        return lambda text: compiled.fullmatch(text) is not None


def is_linear(pattern: str) -> bool:
    """Whether ``pattern`` is matched by the automaton (not by the ``re`` fallback)."""
    try:
        _Automaton(pattern)
    except _Unsupported:
        return False
    return True
