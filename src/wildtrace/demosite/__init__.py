"""The demo marketplace: the bundled synthetic demo listings served as web pages on 127.0.0.1, so
that a new user of ``wildtrace serve --demo`` can capture a listing's page, verify the capture and
see its seller's network, and so that ``wildtrace monitor`` has a marketplace to crawl in the demo
(``wildtrace demo --marketplace``), in its tests and in its benchmark, without the internet.

Modules:

- ``catalogue``: the demo listings and images, their URLs and the default origin;
- ``pages``: the HTML of the index and of each listing (the workbench demo's pages);
- ``shapes``: the HTML of the three marketplace shapes; ``hostile``: the pages meant to hurt;
- ``market``: the state tests change (prices, removals, traps) and the request log;
- ``routes``: which path answers what; ``site``: the server, started in a thread:
  ``start(port, traps=False, bench=0) -> DemoSite`` (``.origin``, ``.url(id)``, ``.market``,
  ``.requests``, ``.close()``).

Paths (``id`` is a demo listing's id, ``d01`` to ``d35``):

- ``/`` and ``/listing/<id>``: the index and a page per listing (the workbench demo);
- ``/images/<name>``: the bundled images (``d04.png``);
- the grid (``d01``, ``d04``, ... every third listing from d01; 12): ``/grid?page=N`` (6 cards a page,
  ``<a rel="next">``), items ``/grid/item/<id>`` in plain HTML: ``h1.title``, ``div.description``,
  ``span.price`` ("1,200.00") and ``span.currency``, ``a.seller`` (href ``/seller/<name>``),
  ``span.location``, ``time.posted[datetime]``, ``div.gallery img``;
- the shop (``d02``, ``d05``, ...; 12): ``/shop?page=N`` (6 a page) linking ``/shop/p/<id>-<slug>``:
  schema.org Product JSON-LD (sku = id; offers with price, priceCurrency, availability,
  availableAtOrFrom and a Person or Organization seller; releaseDate), a BreadcrumbList,
  OpenGraph and ``article:published_time`` meta tags and a canonical link;
- the feed (``d03``, ``d06``, ...; 11): ``/feed`` has no listing links; ``/static/feed.js`` (CSP
  ``script-src 'self'; connect-src 'self'`` on that page only) fetches ``/api/feed?cursor=N``
  (``{"items": [{"id", "url", "title"}], "next": N or null}``, 4 a batch) each time the reader
  scrolls near the bottom and appends ``<a href="/feed/item/<id>">`` cards; item pages carry
  schema.org Product microdata;
- ``/seller/<name>``: a seller's listings; ``/robots.txt``: ``User-agent: *`` /
  ``Disallow: /private/``; grid page 1 links ``/private/grid/item/draft-1`` (a draft listing: a
  crawler that ignored robots.txt would store it);
- ``/favicon.ico``: 204 (browsers ask); ``/bench?page=N`` and ``/bench/item/<n>`` (``bench=N``
  only): N grid-shaped copies of the listings, 50 to a list page, for speed and memory runs.

Traps (``start(..., traps=True)``; the demo runs without them):

- the duplicate: shop listing ``d17`` (high risk) is linked from shop page 1 as
  ``/shop/p/d17-tiger-bone-wine-old-stock`` and again as
  ``/shop/p/d17-tiger-bone-wine-old-stock?utm_source=home&ref=grid#reviews``, and from the grid's
  last page as ``/grid/item/d17`` (that page's canonical link names the shop's URL);
- the hostile listing ``x01`` (grid, last but one card): scripts, ``on*`` handlers, ``javascript:``
  links, a meta refresh and an iframe to 169.254.169.254, SQL/shell metacharacters, ``../../etc/passwd``
  and right-to-left overrides in its fields, a 50 KB attribute; still a valid ivory listing;
- redirects from grid page 1: ``/go/1`` -> ``http://169.254.169.254/latest/meta-data/``, ``/go/2``
  -> the canary (another loopback port, ``market.canary_origin``; who reaches it is in
  ``market.canary_requests``), and listing-shaped ``/grid/item/sponsored-1`` and ``-2`` -> ``/go/1``
  and ``/go/2``.

Controls on ``site.market`` (any thread, any time): ``answer_429(path, retry_after=2, times=1)``,
``hang(path)`` / ``release()`` / ``wait_held(timeout)``, ``set_price(id, price)``,
``edit(id, **fields)``, ``remove(id)`` / ``restore(id)``, ``add(record, shape)``, ``ids(shape)``;
the log: ``site.requests`` / ``market.fetched(path)`` (:class:`~wildtrace.demosite.market.Request`:
monotonic and wall time of arrival, method, path with query, status, User-Agent).
"""

from wildtrace.demosite.catalogue import DEFAULT_ORIGIN, DEFAULT_PORT
from wildtrace.demosite.market import DUPLICATE_ID, HOSTILE_ID, SHAPES, Market, Request
from wildtrace.demosite.site import DemoSite, start

__all__ = ["DEFAULT_ORIGIN", "DEFAULT_PORT", "DUPLICATE_ID", "HOSTILE_ID", "SHAPES", "DemoSite", "Market",
           "Request", "start"]
