"""Optional parts of WildTrace and the extra that installs each (``pip install 'wildtrace[EXTRA]'``).

``pip install wildtrace`` is the core: it scans listings (rules, the shipped text model, the
zoonotic profile, OCR through Debian's tesseract). Everything heavier is an extra:

| extra | what it adds | packages |
|---|---|---|
| ``store`` | saving listings and results (``scan --db/--save``), labels, cases | SQLAlchemy, Alembic, psycopg |
| ``workbench`` | ``wildtrace serve``: the web workbench and HTTP API, users (with ``store``) | FastAPI, uvicorn, Jinja2, argon2, Babel |
| ``learn`` | training and evaluating text models, review queues (with ``store``) | scikit-learn |
| ``trade`` | CITES trade database and LEMIS analytics | DuckDB, scikit-learn |
| ``investigations`` | evidence capture and seals, seller networks, case exports (with ``store``) | httpx, warcio, Pillow, ImageHash, networkx, igraph, fpdf2, wacz, rfc3161-client, asn1crypto |
| ``monitor`` | ``wildtrace monitor``: crawling marketplaces (with ``investigations``) | Scrapy, Protego, extruct, trafilatura, htmldate, scrapy-playwright, w3lib |
| ``dask`` | ``scan --engine dask``: scanning partitions on a Dask cluster, Parquet partitions, fsspec URLs; the ``dask`` command | dask, distributed, pyarrow, fsspec |
| ``patrol`` | ``wildtrace patrol``: SMART/EarthRanger import, grids, effort, risk model, maps, patrol plans | pandas, GeoPandas, Shapely, pyproj, pyogrio, rasterio, scikit-learn, OR-Tools, Pillow, lxml |
| ``all`` | every extra above | |

A missing extra is a ``MissingExtra``: the CLI prints its one line (naming the command to run)
and exits 2; ``need`` checks for the packages without importing them.
"""

from __future__ import annotations

import importlib.util

from wildtrace.errors import ConfigError

#: The top-level module each optional package installs -> the extra that brings it.
MODULES: dict[str, str] = {
    "sqlalchemy": "store", "alembic": "store", "psycopg": "store",
    "fastapi": "workbench", "starlette": "workbench", "uvicorn": "workbench", "jinja2": "workbench",
    "argon2": "workbench", "babel": "workbench", "multipart": "workbench", "python_multipart": "workbench",
    "sklearn": "learn", "duckdb": "trade",
    "httpx": "investigations", "warcio": "investigations", "PIL": "investigations",
    "imagehash": "investigations", "networkx": "investigations", "igraph": "investigations",
    "fpdf": "investigations",
    "playwright": "investigations", "cryptography": "investigations",
    "scrapy": "monitor", "twisted": "monitor", "protego": "monitor", "extruct": "monitor",
    "trafilatura": "monitor", "htmldate": "monitor", "scrapy_playwright": "monitor", "w3lib": "monitor",
    "parsel": "monitor",
    "dask": "dask", "distributed": "dask", "pyarrow": "dask", "fsspec": "dask",
    "wacz": "investigations", "rfc3161_client": "investigations", "asn1crypto": "investigations",
    "geopandas": "patrol", "shapely": "patrol", "pyproj": "patrol", "pyogrio": "patrol",
    "rasterio": "patrol", "ortools": "patrol", "lxml": "patrol", "pandas": "patrol",
}


class MissingExtra(ConfigError):
    """An optional part is not installed; the message names the ``pip install`` that adds it."""

    def __init__(self, extra: str, module: str):
        super().__init__(f"this needs the '{extra}' extra ({module} is not installed): "
                         f"pip install 'wildtrace[{extra}]'")
        self.extra = extra
        self.module = module


def need(extra: str, *modules: str) -> None:
    """Raise ``MissingExtra`` unless every module (default: all of the extra's) can be imported."""
    for module in modules or tuple(m for m, e in MODULES.items() if e == extra):
        if importlib.util.find_spec(module) is None:
            raise MissingExtra(extra, module)


def from_import_error(exc: ImportError) -> MissingExtra | None:
    """The ``MissingExtra`` behind an ImportError of an optional package, or None."""
    top = (exc.name or "").split(".")[0]
    return MissingExtra(MODULES[top], top) if top in MODULES else None
