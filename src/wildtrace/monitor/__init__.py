"""The marketplace monitor: crawl sources continuously, see what changed, scan and capture on
first sight (``wildtrace monitor``; the ``monitor`` extra).

- ``sources``: one YAML file per source, read into a ``Source`` (only name, start_urls and allow
  are required); ``terms``: the project's search terms for ``{term}`` start URLs;
- ``extract``: a fetched page to the listing record (schema.org JSON-LD, microdata, RDFa and
  OpenGraph through extruct; the source's CSS/XPath rules; trafilatura and htmldate when a page
  has neither), its images named and the stable listing key found;
- ``spider``: the Scrapy side (the spider, politeness settings, the address guard on every request
  and redirect, Retry-After back-off; scrapy-playwright only for ``javascript`` sources);
- ``run``: one pass over sources (``run_sources``) and the schedule: change detection against the
  store, the one ingest pipeline, capture on first sight, the run's counts;
- the crawl state (runs, frontier, what each URL gave) is in the store (``store/crawl.py``).
"""
