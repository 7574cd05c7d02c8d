"""The demo marketplace: the bundled synthetic demo listings served as web pages on 127.0.0.1, so
that a new user of ``wildtrace serve --demo`` can capture a listing's page, verify the capture and
see its seller's network without touching the internet.

- ``catalogue``: the demo listings and images, their URLs and the default origin;
- ``pages``: the HTML of the index and of each listing;
- ``site``: the server, started in a thread: ``start(port) -> DemoSite`` (``.origin``, ``.url(id)``,
  ``.close()``).
"""

from wildtrace.demosite.catalogue import DEFAULT_ORIGIN, DEFAULT_PORT
from wildtrace.demosite.site import DemoSite, start

__all__ = ["DEFAULT_ORIGIN", "DEFAULT_PORT", "DemoSite", "start"]
