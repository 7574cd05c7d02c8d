"""The demo marketplace's state: which listing is in which shape, what tests changed, the traps
they armed, and the log of every request the site answered.

Tests of the monitor drive a real site and need it to change under them: a price that moves, a
listing that goes, a path that answers 429 or hangs until released. :class:`Market` holds all of
that behind one lock, so the server's threads and the test's thread never see half a change.

The 35 demo listings are dealt to the three shapes in turn (``d01`` grid, ``d02`` shop, ``d03``
feed, ``d04`` grid, ...): each shape holds high- and low-risk listings. With ``traps`` on, the
grid also holds :data:`HOSTILE_ID` and :data:`DUPLICATE_ID` (a shop listing) is linked twice from
the shop and once from the grid (see the package docstring).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from wildtrace import clock
from wildtrace.errors import NotFound

SHAPES = ("grid", "shop", "feed")
#: listings per grid page, per shop page and per feed batch
GRID_PAGE, SHOP_PAGE, FEED_BATCH = 6, 6, 4
#: the shop listing that is also reachable under other URLs when traps are on
DUPLICATE_ID = "d17"
#: the hostile listing (grid, traps on)
HOSTILE_ID = "x01"


@dataclass(frozen=True)
class Request:
    """One request the site answered: when it arrived (monotonic and wall seconds), what it
    asked for (path with its query) and what it got."""

    monotonic: float
    wall: float
    method: str
    path: str
    status: int
    user_agent: str


def _matches(rule: str, path: str) -> bool:
    """A rule with a query matches the path with its query exactly; one without, the path alone."""
    return rule == path if "?" in rule else rule == path.split("?", 1)[0]


class Market:
    """The site's changeable state. Every method may be called from any thread."""

    def __init__(self, records: list[dict[str, Any]], *, traps: bool = False) -> None:
        self.traps = traps
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._listings: dict[str, dict[str, Any]] = {}
        self._shape: dict[str, str] = {}
        for n, record in enumerate(records):
            self._listings[str(record["id"])] = dict(record)
            self._shape[str(record["id"])] = SHAPES[n % len(SHAPES)]
        self._removed: set[str] = set()
        self._throttled: dict[str, list[int]] = {}  # path -> [answers left, retry_after]
        self._hung: set[str] = set()
        self._release = threading.Event()
        self._held = 0
        self._requests: list[Request] = []
        self._canary: list[Request] = []
        self.closed = threading.Event()
        #: the origin of a second loopback server that only the /go/2 trap points at (traps on)
        self.canary_origin: str | None = None

    # --- what the pages show -------------------------------------------------------------------

    def listing(self, listing_id: str) -> dict[str, Any] | None:
        """A copy of the listing as shown now; None when unknown or removed."""
        with self._lock:
            if listing_id in self._removed or listing_id not in self._listings:
                return None
            return dict(self._listings[listing_id])

    def listed(self, shape: str) -> list[dict[str, Any]]:
        """The listings a shape's list pages link now, in order (removed ones left out)."""
        with self._lock:
            return [dict(r) for i, r in self._listings.items()
                    if self._shape[i] == shape and i not in self._removed]

    def ids(self, shape: str) -> list[str]:
        """The ids a shape lists now (the duplicate trap's grid copy is not counted: its home is
        the shop)."""
        return [str(r["id"]) for r in self.listed(shape)]

    def shape(self, listing_id: str) -> str | None:
        with self._lock:
            return self._shape.get(listing_id)

    # --- changes between monitor runs ---------------------------------------------------------

    def _known(self, listing_id: str) -> dict[str, Any]:
        if listing_id not in self._listings:
            raise NotFound(f"no demo listing {listing_id!r}")
        return self._listings[listing_id]

    def set_price(self, listing_id: str, price: str | float) -> None:
        """The listing's price from now on, on every page that shows it."""
        self.edit(listing_id, price=str(price))

    def edit(self, listing_id: str, **fields: Any) -> None:
        """Change fields of a listing (title, text, price, currency, images, ...)."""
        with self._lock:
            self._known(listing_id).update(fields)

    def remove(self, listing_id: str) -> None:
        """The listing is gone: its pages answer 404 and no list links it."""
        with self._lock:
            self._known(listing_id)
            self._removed.add(listing_id)

    def restore(self, listing_id: str) -> None:
        with self._lock:
            self._removed.discard(listing_id)

    def add(self, record: dict[str, Any], shape: str) -> None:
        """A new listing at the end of a shape's list (``record`` needs an ``id``)."""
        if shape not in SHAPES:
            raise NotFound(f"no shape {shape!r} (shapes: {', '.join(SHAPES)})")
        with self._lock:
            self._listings[str(record["id"])] = dict(record)
            self._shape[str(record["id"])] = shape
            self._removed.discard(str(record["id"]))

    # --- traps --------------------------------------------------------------------------------

    def answer_429(self, path: str, retry_after: int = 2, times: int = 1) -> None:
        """The next ``times`` requests for ``path`` (with ``?query``: that exact URL) answer 429
        Too Many Requests with ``Retry-After: retry_after`` (seconds); then it answers normally."""
        with self._lock:
            self._throttled[path] = [times, retry_after]

    def hang(self, path: str) -> None:
        """Requests for ``path`` block until :meth:`release` or until the site closes."""
        with self._lock:
            self._hung.add(path)
            self._release.clear()

    def release(self) -> None:
        """Answer every held request and hang no more."""
        with self._lock:
            self._hung.clear()
            self._release.set()

    @property
    def held(self) -> int:
        """How many requests are blocked by :meth:`hang` now."""
        with self._lock:
            return self._held

    def wait_held(self, timeout: float = 30.0) -> bool:
        """Wait until a request is held by :meth:`hang`; False after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while self._held == 0:
                left = deadline - time.monotonic()
                if left <= 0 or not self._arrived.wait(left):
                    return self._held > 0
            return True

    def gate(self, path: str) -> int | None:
        """Called by the server on each request before answering it: holds hung requests, and
        returns the Retry-After seconds when the request must be answered 429."""
        with self._arrived:
            hung = any(_matches(rule, path) for rule in self._hung)
            if hung:
                self._held += 1
                self._arrived.notify_all()
        if hung:
            try:
                while not (self._release.wait(0.1) or self.closed.is_set()):
                    pass
            finally:
                with self._lock:
                    self._held -= 1
        with self._lock:
            for rule, budget in self._throttled.items():
                if budget[0] > 0 and _matches(rule, path):
                    budget[0] -= 1
                    return budget[1]
        return None

    # --- the request log ----------------------------------------------------------------------

    def log(self, arrived: float, wall: float, method: str, path: str, status: int,
            user_agent: str) -> None:
        with self._arrived:
            self._requests.append(Request(arrived, wall, method, path, status, user_agent))
            self._arrived.notify_all()

    @property
    def requests(self) -> list[Request]:
        """Every request answered so far, in the order answered (a copy)."""
        with self._lock:
            return list(self._requests)

    def fetched(self, path: str) -> list[Request]:
        """The requests for ``path`` (with ``?query``: that exact URL; without: any query)."""
        return [r for r in self.requests if _matches(path, r.path)]

    def log_canary(self, request: Request) -> None:
        with self._lock:
            self._canary.append(request)

    @property
    def canary_requests(self) -> list[Request]:
        """Requests that reached the canary (the other loopback port ``/go/2`` redirects to):
        a correct monitor leaves this empty."""
        with self._lock:
            return list(self._canary)

    def clear_log(self) -> None:
        with self._lock:
            self._requests.clear()

    @staticmethod
    def arrival() -> tuple[float, float]:
        """(monotonic, wall) seconds now: when a request arrived."""
        return time.monotonic(), clock.now().timestamp()
