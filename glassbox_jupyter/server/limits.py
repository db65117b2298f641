"""Rate limits: sign-in attempts per client address, in a sliding window (per server process).

Example:
    >>> limiter = AttemptLimiter(max_attempts=2, window_seconds=60)
    >>> limiter.hit("1.2.3.4"), limiter.hit("1.2.3.4"), limiter.hit("1.2.3.4") is not None
    (None, None, True)
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque


class AttemptLimiter:
    """At most ``max_attempts`` per key in any ``window_seconds``."""

    def __init__(self, max_attempts: int = 10, window_seconds: float = 60.0):
        self.max_attempts = max_attempts
        self.window = window_seconds
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def hit(self, key: str) -> float | None:
        """Count an attempt by ``key``; None if allowed, else the seconds until the next is."""
        now = time.monotonic()
        with self._lock:
            hits = self._hits[key]
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.max_attempts:
                return round(hits[0] + self.window - now, 1)
            hits.append(now)
            return None
