"""Exports of a case or network: FollowTheMoney, GEXF/GraphML, CSV, HTML/PDF reports, takedown lists.

Exporters register by name in ``EXPORTERS`` (name -> "module:function"); each takes
``(case_data, path)`` where ``case_data`` is :class:`wildtrace.export.case.CaseData`.
"""

from __future__ import annotations

EXPORTERS: dict[str, str] = {
    "ftm": "wildtrace.export.ftm:write",
    "gexf": "wildtrace.export.graph:write_gexf",
    "graphml": "wildtrace.export.graph:write_graphml",
    "csv": "wildtrace.export.graph:write_csv",
    "html": "wildtrace.export.report:write_html",
    "pdf": "wildtrace.export.report:write_pdf",
    "takedown": "wildtrace.export.takedown:write",
}
