"""The database schema as SQLAlchemy Core tables: one definition for SQLite and PostgreSQL.

Alembic migrations (``store/migrations/versions``) create and change these tables; this
module describes the head revision and is what the queries are written against.

- ``listings`` and ``scan_results`` are the evidence: append-only per content hash.
- ``queue`` is derived: one row per listing id, from its newest version and newest result,
  kept current by ``save()`` so the triage queue is one indexed query.
- ``queue_counts`` is derived from ``queue``: the dashboard's counts, kept by every queue write;
  ``queue_day_counts`` the same counts per posted day (the dashboard's date ranges).
- ``labels`` and ``audit_log`` are append-only decisions with an author and a time.
- ``judgements`` (seller accounts) and ``lexicon_changes`` (the local lexicon) are the other
  analyst decisions, append-only too; ``legacy_imports`` records the JSON Lines files they were
  once kept in, imported once each.
- ``login_attempts`` is the login throttle's state (per client address, per account and client);
  ``case_members`` restricts a case to its members when it has any; ``case_notes`` are a
  case's append-only notes, and a deleted case keeps its rows with ``deleted_at`` set.
- ``networks`` are built seller networks, whole, with their provenance; ``crawl_state`` is what
  the marketplace monitor last saw at each URL, ``crawl_runs`` its passes over each source and
  ``crawl_frontier`` what a pass has still to fetch.
- ``text_models`` are the models trained in the workbench from the labels, and which one it uses.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    func,
    literal_column,
)

metadata = MetaData()

listings = Table(
    "listings", metadata,
    Column("listing_id", String, primary_key=True),
    Column("content_sha256", String, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("first_seen", String, nullable=False),
    Column("last_seen", String, nullable=False),
    Column("record", Text, nullable=False),
    Index("listings_version", "listing_id", "version"),
)

scan_results = Table(
    "scan_results", metadata,
    Column("listing_id", String, primary_key=True),
    Column("content_sha256", String, primary_key=True),
    Column("model", String, primary_key=True),
    Column("scanned_at", String, nullable=False),
    Column("verdict", String, nullable=False),
    Column("wildlife_score", Float, nullable=False),
    Column("risk_score", Float, nullable=False),
    Column("result", Text, nullable=False),
    ForeignKeyConstraint(["listing_id", "content_sha256"],
                         ["listings.listing_id", "listings.content_sha256"]),
    Index("results_risk", "risk_score"),
)

#: One row per listing id: what the triage queue, filters, search and charts read.
queue = Table(
    "queue", metadata,
    # an integer key: SQLite's FTS5 index (queue_fts) points at it, and VACUUM keeps it
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("listing_id", String, nullable=False, unique=True),
    Column("content_sha256", String, nullable=False),
    Column("version", Integer, nullable=False),
    Column("verdict", String, nullable=False),
    Column("risk_score", Float, nullable=False),
    Column("wildlife_score", Float, nullable=False),
    Column("lang", String, nullable=False, server_default=""),
    Column("platform", String, nullable=False, server_default=""),
    Column("seller", String, nullable=False, server_default=""),
    Column("title", Text, nullable=False, server_default=""),
    Column("posted_at", String, nullable=False, server_default=""),
    Column("scanned_at", String, nullable=False),
    Column("week", String, nullable=False, server_default=""),  # ISO week of posted_at (or scan)
    # "|"-delimited lists, e.g. "|Manis javanica|Diceros bicornis|", filtered with LIKE
    Column("species", Text, nullable=False, server_default=""),
    Column("products", Text, nullable=False, server_default=""),
    Column("appendices", String, nullable=False, server_default=""),
    Column("label", String, nullable=False, server_default=""),  # newest label, "" = unlabelled
    Column("search_text", Text, nullable=False, server_default=""),
    # revision 0018: the listing's first sighting, the smallest listings.first_seen of its versions
    Column("first_seen", String, nullable=False, server_default=""),
    Index("queue_risk", "risk_score", "listing_id"),
    Index("queue_verdict_risk", "verdict", "risk_score"),
    Index("queue_seller_risk", "seller", "risk_score", "listing_id"),  # revision 0015: the seller page
    Index("queue_label_risk", "label", "risk_score"),
    Index("queue_platform_risk", "platform", "risk_score"),
    Index("queue_lang_risk", "lang", "risk_score"),
    # revision 0018: the "first seen" sort, its keyset and the posted date tested in the index
    Index("queue_first_seen", "first_seen", "listing_id", "posted_at"),
)

# Revision 0009: the workbench's pages at a million listings. Sorts by posted date (and date
# ranges), "uncertain first" (the expression ``store.queue.UNCERTAINTY`` orders by), a date
# range per verdict (the dashboard, its bars' links), search's walk in risk order (the columns it
# ranks and counts facets by); on PostgreSQL, trigram
# indexes for the species and product filters' LIKE (SQLite: the queue_tags FTS5 index).
Index("queue_posted", queue.c.posted_at, queue.c.listing_id)
Index("queue_dated", queue.c.verdict, queue.c.posted_at, queue.c.label, queue.c.week, queue.c.platform,
      queue.c.species, queue.c.products, queue.c.appendices)  # covers the dashboard's date range
Index("queue_risk_lean", queue.c.risk_score, queue.c.listing_id, queue.c.verdict, queue.c.label, queue.c.lang,
      queue.c.platform, queue.c.species, queue.c.products, queue.c.appendices)  # covers search's ranking
Index("queue_uncertain", func.abs(queue.c.wildlife_score - literal_column("0.5")), queue.c.listing_id.desc())
Index("queue_species_trgm", queue.c.species, postgresql_using="gin",
      postgresql_ops={"species": "gin_trgm_ops"}).ddl_if(dialect="postgresql")
Index("queue_products_trgm", queue.c.products, postgresql_using="gin",
      postgresql_ops={"products": "gin_trgm_ops"}).ddl_if(dialect="postgresql")

#: Dashboard counts of the queue, kept in the same transaction as each queue write
#: (``store/counts.py``): per verdict, rows per dimension value.
queue_counts = Table(
    "queue_counts", metadata,
    Column("verdict", String, primary_key=True),
    Column("dim", String, primary_key=True),  # all, label, week, platform, species, product, appendix
    Column("value", String, primary_key=True),
    Column("n", Integer, nullable=False),
)

#: The same counts per day a listing was posted on (``counts.day_of``; revision 0015): the
#: dashboard over a date range sums these instead of grouping the queue rows posted in it.
queue_day_counts = Table(
    "queue_day_counts", metadata,
    Column("day", String, primary_key=True),
    Column("verdict", String, primary_key=True),
    Column("dim", String, primary_key=True),
    Column("value", String, primary_key=True),
    Column("n", Integer, nullable=False),
)

users = Table(
    "users", metadata,
    Column("name", String, primary_key=True),
    Column("role", String, nullable=False),
    Column("password_hash", String, nullable=False),
    Column("created_at", String, nullable=False),
    Column("disabled", Integer, nullable=False, server_default="0"),
)

sessions = Table(
    "sessions", metadata,
    Column("token_sha256", String, primary_key=True),
    Column("user_name", String, nullable=False),
    Column("csrf_token", String, nullable=False),
    Column("created_at", String, nullable=False),
    Column("expires_at", String, nullable=False),
)

api_tokens = Table(
    "api_tokens", metadata,
    Column("token_sha256", String, primary_key=True),
    Column("user_name", String, nullable=False),
    Column("label", String, nullable=False, server_default=""),
    Column("created_at", String, nullable=False),
    Column("revoked_at", String, nullable=True),
)

#: The one labels table: workbench, API and ``wildtrace label import`` all write here.
labels = Table(
    "labels", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("listing_id", String, nullable=False),
    Column("content_sha256", String, nullable=False, server_default=""),  # "" when imported from a file
    Column("label", String, nullable=False),
    Column("note", Text, nullable=False, server_default=""),
    Column("reviewer", String, nullable=False),
    Column("labelled_at", String, nullable=False),
    Column("source", String, nullable=False, server_default="workbench"),  # workbench, api or a file path
    Column("source_sha256", String, nullable=False, server_default=""),
    Column("imported_at", String, nullable=False),
    UniqueConstraint("listing_id", "reviewer", "labelled_at", "label", name="labels_unique"),
    Index("labels_listing", "listing_id", "id"),
)

audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String, nullable=False),
    Column("actor", String, nullable=False),
    Column("action", String, nullable=False),
    Column("target", String, nullable=False),
    Column("before", Text, nullable=True),
    Column("after", Text, nullable=True),
    Index("audit_log_target", "target", "id"),  # revision 0015: a case's timeline
)

def _added() -> list[Column[str]]:
    """Who added a row to a case, and when."""
    return [Column("added_by", String, nullable=False), Column("added_at", String, nullable=False)]


#: The one case model: the workbench, the API, ``wildtrace case`` and every exporter use it.
cases = Table(
    "cases", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String, nullable=True, unique=True),
    Column("title", String, nullable=False),
    Column("status", String, nullable=False, server_default="open"),
    Column("created_by", String, nullable=False),
    Column("created_at", String, nullable=False),
    Column("deleted_at", String, nullable=True),  # a deleted case keeps its rows (revision 0007)
)

#: Notes on a case: append-only, each with its author and time (revision 0007).
case_notes = Table(
    "case_notes", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", Integer, nullable=False, index=True),
    Column("body", Text, nullable=False),
    Column("author", String, nullable=False),
    Column("created_at", String, nullable=False),
)

case_listings = Table(
    "case_listings", metadata,
    Column("case_id", Integer, primary_key=True),
    Column("listing_id", String, primary_key=True),
    Column("content_sha256", String, nullable=False, server_default=""),  # the version added
    *_added(),
)

case_sellers = Table(
    "case_sellers", metadata,
    Column("case_id", Integer, primary_key=True),
    Column("seller", String, primary_key=True),  # platform:seller
    *_added(),
)

case_captures = Table(
    "case_captures", metadata,
    Column("case_id", Integer, primary_key=True),
    Column("capture_id", String, primary_key=True),
    Column("evidence_dir", Text, nullable=False),
    Column("entry", Text, nullable=False),  # the custody-log entry, as JSON
    *_added(),
)


#: Analysts' judgements on pairs of seller accounts (``store/judgements.py``), in ``seq`` order.
judgements = Table(
    "judgements", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String, nullable=False, unique=True),
    Column("a", String, nullable=False),
    Column("b", String, nullable=False),
    Column("judgement", String, nullable=False),  # same, different, unsure or retract
    Column("retracts", String, nullable=True),  # the id a retract withdraws
    Column("author", String, nullable=False),
    Column("at", String, nullable=False),
    Column("note", Text, nullable=False, server_default=""),
    Index("judgements_pair", "a", "b", "seq"),
)

#: The local lexicon's change log (``store/lexicon.py``): version N is the Nth change.
lexicon_changes = Table(
    "lexicon_changes", metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("op", String, nullable=False),  # add or remove
    Column("term", Text, nullable=False),
    Column("kind", String, nullable=True),
    Column("lang", String, nullable=True),
    Column("means_product", String, nullable=True),
    Column("means_taxon", String, nullable=True),
    Column("context_required", Boolean, nullable=False, server_default=false()),
    Column("author", String, nullable=False),
    Column("at", String, nullable=False),
    Column("note", Text, nullable=True),
)

#: Built seller networks (``store/network.py``): the whole ``Network.to_dict()`` as JSON.
networks = Table(
    "networks", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("built_at", String, nullable=False),
    Column("input_sha256", String, nullable=False),
    Column("accounts", Integer, nullable=False),
    Column("links", Integer, nullable=False),
    Column("provenance", Text, nullable=False),
    Column("network", Text, nullable=False),
)

#: What the marketplace monitor last saw at each URL (``store/crawl.py``).
crawl_state = Table(
    "crawl_state", metadata,
    Column("source", String, primary_key=True),
    Column("url_key", String, primary_key=True),
    Column("canonical_url", Text, nullable=False),
    Column("content_sha256", String, nullable=False, server_default=""),
    Column("first_seen", String, nullable=False),
    Column("last_seen", String, nullable=False),
    Column("last_changed", String, nullable=False),
    Column("last_status", Integer, nullable=True),
    Column("etag", String, nullable=True),
    Column("last_modified", String, nullable=True),
    # revision 0012: what the URL is (``page``: a list, search or feed page; ``listing``), the
    # listing it gave, the run that last fetched it, when it was found gone (404/410), the hash of
    # the listing's extracted fields (change and duplicate detection) and the listing it duplicates
    Column("kind", String, nullable=True),
    Column("listing_id", String, nullable=True),
    Column("last_run", String, nullable=True),
    Column("gone_at", String, nullable=True),
    Column("listing_sha256", String, nullable=True),
    Column("duplicate_of", String, nullable=True),
    Column("last_capture", String, nullable=True),  # the monitor's last capture id of the page
    Index("crawl_state_due", "source", "last_seen"),
    Index("crawl_state_listing_sha256", "listing_sha256"),
    Index("crawl_state_listing_id", "listing_id"),
)

#: One pass of the monitor over one source (``store/crawl.py``, revision 0012): ``finished_at`` is
#: null while it runs or after it was killed (the next run of the source resumes it); ``counts``
#: (pages, listings, new, changed, unchanged, gone, duplicates, captured, refused, errors) and
#: ``errors`` (the last ones: url, reason) are JSON.
crawl_runs = Table(
    "crawl_runs", metadata,
    Column("run_id", String, primary_key=True),
    Column("source", String, nullable=False),
    Column("source_sha256", String, nullable=False),
    Column("started_at", String, nullable=False),
    Column("finished_at", String, nullable=True),
    Column("state", String, nullable=False),  # running, finished, interrupted, failed
    Column("counts", Text, nullable=False, server_default="{}"),
    Column("errors", Text, nullable=False, server_default="[]"),
    Index("crawl_runs_source", "source", "started_at"),
)

#: What a run has to fetch and what it fetched (revision 0012): a killed run resumes from the
#: ``pending`` and ``fetched`` rows and never fetches a ``fetched`` or ``done`` one again.
crawl_frontier = Table(
    "crawl_frontier", metadata,
    Column("run_id", String, primary_key=True),
    Column("url_key", String, primary_key=True),
    Column("url", Text, nullable=False),
    Column("kind", String, nullable=False),  # page, listing, recheck
    Column("depth", Integer, nullable=False, server_default="0"),
    Column("state", String, nullable=False),  # pending, fetched, done, failed, refused
    Column("added_at", String, nullable=False),
    Column("done_at", String, nullable=True),
    Column("reason", Text, nullable=True),
    # a fetched listing page's response (zlib JSON), kept until it is stored and captured, so a
    # killed pass processes it again without fetching it again; what the page gave (JSON)
    Column("response", LargeBinary, nullable=True),
    Column("outcome", Text, nullable=True),
    Index("crawl_frontier_state", "run_id", "state"),
)

#: JSON Lines files whose records were copied into the store, by content hash (``store/legacy.py``).
legacy_imports = Table(
    "legacy_imports", metadata,
    Column("what", String, primary_key=True),  # judgements or lexicon
    Column("sha256", String, primary_key=True),
    Column("path", Text, nullable=False),
    Column("records", Integer, nullable=False),
    Column("imported_at", String, nullable=False),
)

login_attempts = Table(
    "login_attempts", metadata,
    Column("key", String, primary_key=True),  # client:ADDRESS or user:NAME|ADDRESS
    Column("failures", Integer, nullable=False, server_default="0"),
    Column("last_at", Float, nullable=False, server_default="0"),  # seconds since the epoch
)
case_members = Table(
    "case_members", metadata,
    Column("case_id", Integer, primary_key=True),
    Column("user_name", String, primary_key=True),
    *_added(),
)

#: A user's saved searches: a name and the query string of the search page (revision 0008).
saved_searches = Table(
    "saved_searches", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("owner", String, nullable=False),
    Column("name", String, nullable=False),
    Column("query", Text, nullable=False),  # the search page's URL query string, as saved
    Column("created_at", String, nullable=False),
    UniqueConstraint("owner", "name", name="uq_saved_searches_owner_name"),
)

#: Images of listings the server owns, fingerprinted and read once (``store/images.py``, revision
#: 0010): pHash cut into five bands (``band0``..``band4``, indexed) for near-duplicate lookup
#: without a scan, and the OCR text (null until read).
listing_images = Table(
    "listing_images", metadata,
    Column("listing_id", String, primary_key=True),
    Column("ref", String, primary_key=True),  # as the listing gives it, or a capture's path
    Column("source", String, nullable=False),  # listing or capture
    Column("n", Integer, nullable=False),  # its number on the listing page (/listing/image?n=)
    Column("sha256", String, nullable=True),
    Column("phash", String, nullable=True),  # 16 hex digits
    *[Column(f"band{i}", Integer, nullable=True) for i in range(5)],
    Column("width", Integer, nullable=True),
    Column("height", Integer, nullable=True),
    Column("error", Text, nullable=True),  # why the file could not be read as an image
    Column("ocr_text", Text, nullable=True),
    Column("ocr_tool", String, nullable=True),
    Column("ocr_at", String, nullable=True),
    Column("provenance", Text, nullable=False),
    Column("seen_at", String, nullable=False),
    *[Index(f"listing_images_band{i}", f"band{i}") for i in range(5)],
)

#: The contact identifiers of each listing version (``sellers.identifiers.from_listing``), written
#: when the version is first stored (revision 0011): search and the seller page look them up by
#: ``key`` (a phone's national digits, else the value in lower case) instead of re-reading records.
listing_identifiers = Table(
    "listing_identifiers", metadata,
    Column("listing_id", String, primary_key=True),
    Column("content_sha256", String, primary_key=True),
    Column("kind", String, primary_key=True),
    Column("value", String, primary_key=True),
    Column("key", String, nullable=False, index=True),
    Column("raw", Text, nullable=False, server_default=""),
)

#: Text models trained in the workbench from the analysts' labels (``store/text_models.py``,
#: revision 0013): one row per model folder (``DATA_DIR/models/<id>``, never overwritten), its
#: label counts, the evaluation beside the model then in use (JSON), and its status: ``candidate``
#: (trained, not accepted), ``active`` (at most one: the model the workbench scans with) or
#: ``retired`` (accepted once, replaced since); who accepted it and when.
text_models = Table(
    "text_models", metadata,
    Column("id", String, primary_key=True),
    Column("path", Text, nullable=False),
    Column("name", String, nullable=False),
    Column("version", String, nullable=False),
    Column("created_at", String, nullable=False),
    Column("created_by", String, nullable=False),
    Column("labels", Integer, nullable=False),
    Column("positives", Integer, nullable=False),
    Column("evaluation", Text, nullable=False, server_default="{}"),
    Column("status", String, nullable=False),
    Column("accepted_by", String, nullable=True),
    Column("accepted_at", String, nullable=True),
    Index("text_models_status", "status"),
)
