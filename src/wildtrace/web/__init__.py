"""The analyst workbench: a thin FastAPI adapter (JSON API and server-rendered UI) over the store and the scan."""
