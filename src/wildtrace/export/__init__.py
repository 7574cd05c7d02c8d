"""Exports of a case: FollowTheMoney (Aleph), GEXF/GraphML (Gephi), CSV (Maltego/i2), HTML/PDF
reports and takedown lists. Each exporter takes the one ``wildtrace.cases.Case`` and a path, and
registers by name in ``wildtrace.plugins.exporters``.
"""
