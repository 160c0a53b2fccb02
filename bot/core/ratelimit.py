"""A per-user cooldown: at most ``rate`` questions in any ``per`` seconds. Pure and clock-injectable."""

from __future__ import annotations

import time
from collections import deque
from typing import Callable, Hashable


class Cooldown:
    def __init__(self, rate: int = 5, per: float = 30.0, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 10_000):
        if rate < 1 or per <= 0:
            raise ValueError("rate must be >= 1 and per > 0")
        self.rate = rate
        self.per = per
        self._clock = clock
        self._max_keys = max_keys
        self._hits: dict[Hashable, deque[float]] = {}
        self._told: dict[Hashable, float] = {}

    def hit(self, key: Hashable) -> float:
        """Record one use by ``key``; return 0 if allowed, else the seconds to wait (nothing is recorded)."""
        now = self._clock()
        q = self._hits.get(key)
        if q is None:
            if len(self._hits) >= self._max_keys:
                self._prune(now)
            q = self._hits[key] = deque()
        while q and now - q[0] >= self.per:
            q.popleft()
        if len(q) >= self.rate:
            return max(0.0, self.per - (now - q[0]))
        q.append(now)
        return 0.0

    def notice(self, key: Hashable) -> bool:
        """Whether to tell ``key`` it is over the limit: once per ``per`` seconds, so that a burst of messages
        gets one notice rather than one each."""
        now = self._clock()
        told = self._told.get(key)
        if told is not None and now - told < self.per:
            return False
        if len(self._told) >= self._max_keys:
            for k in [k for k, t in self._told.items() if now - t >= self.per]:
                del self._told[k]
        self._told[key] = now
        return True

    def _prune(self, now: float) -> None:
        for k in [k for k, q in self._hits.items() if not q or now - q[-1] >= self.per]:
            del self._hits[k]
