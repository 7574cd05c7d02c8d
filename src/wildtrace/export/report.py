"""Case report in HTML and PDF: listings, reasons, network, and every evidence hash and capture time.

Listing text is hostile: everything is escaped in HTML, and the PDF is drawn as text.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fpdf import FPDF

from wildtrace import __version__
from wildtrace.export import fonts
from wildtrace.export.clean import pdf_text, report_text

if TYPE_CHECKING:
    from wildtrace.cases import Case



def sections(case: Case) -> list[tuple[str, list[list[str]]]]:
    """(heading, rows) with the first row as column names: the report's content, shared by HTML and PDF."""
    net = case.network().to_dict()
    s = case.summary()
    overview = [["Field", "Value"], ["Case", s["name"]], ["Title", s["title"]], ["Created", s["created_at"]],
                ["Created by", s["author"]], ["Listings", str(s["listings"])], ["Captures", str(s["captures"])],
                ["Failed captures", str(s["failed_captures"])],
                ["Accounts / links", f"{net['summary']['accounts']} / {net['summary']['links']}"],
                ["Entities", str(net["summary"]["entities"])], ["Report tool", f"WildTrace {__version__}"]]
    captures = [["Capture", "URL", "Captured at (UTC)", "Operator", "Status", "SHA-256 (payload / files)"]]
    for c in case.captures:
        hashes = [f"payload {c.get('payload_sha256')}"] if c.get("payload_sha256") else []
        hashes += [f"{f['path']}: {f['sha256']}" for f in c.get("files", [])]
        hashes.append(f"custody entry {c.get('seq')}: {c.get('entry_hash')}")
        status = c.get("status", "") + (f" ({c['reason']})" if c.get("reason") else "")
        captures.append([c["capture_id"], c.get("final_url") or c.get("url", ""), c.get("captured_at", ""),
                         c.get("operator", ""), status, "\n".join(hashes)])
    listings = [["Listing", "Title", "Platform / seller", "URL", "Verdict / risk", "Reasons"]]
    for r in sorted(case.results, key=lambda r: -float(r.get("risk_score") or 0)):
        li: dict[str, Any] = r.get("listing") or {}
        listings.append([str(r["id"]), str(li.get("title") or "")[:200], f"{li.get('platform', '')} / {li.get('seller', '')}", str(li.get("url", "")),
                         f"{r.get('verdict')} {r.get('risk_score')}", "\n".join(r.get("reasons") or [])])
    players = [["Rank", "Account", "Fragmentation after removal"]] + [
        [str(k["rank"]), k["account"], str(k["fragmentation"])] for k in net["key_players"]]
    links = [["Account A", "Account B", "Evidence", "Judgement"]] + [
        [e["a"], e["b"], "; ".join(str(x.get("value") or f"{x['type']} distance {x.get('distance')}")
                                   for x in e["evidence"]), e["judgement"] or ""] for e in net["edges"]]
    return [("Overview", overview), ("Evidence captures", captures), ("Listings", listings),
            ("Key players", players), ("Account links", links)]


def render_html(case: Case) -> str:
    esc = html.escape
    parts = ["<!doctype html><html><head><meta charset='utf-8'>",
             f"<title>Case {esc(case.name)}</title>",
             "<style>body{font-family:sans-serif}table{border-collapse:collapse;margin-bottom:1.5em}"
             "td,th{border:1px solid #999;padding:3px 6px;vertical-align:top;white-space:pre-wrap}"
             "</style></head><body>", f"<h1>Case {esc(case.name)}</h1>"]
    for heading, rows in sections(case):
        parts.append(f"<h2>{esc(heading)}</h2><table><tr>"
                     + "".join(f"<th>{esc(c)}</th>" for c in rows[0]) + "</tr>")
        for row in rows[1:]:
            parts.append("<tr>" + "".join(f"<td>{esc(report_text(c))}</td>" for c in row) + "</tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_html(case: Case, path: Path) -> int:
    path.write_text(render_html(case), encoding="utf-8")
    return len(case.results)


def write_pdf(case: Case, path: Path, progress: Callable[[], None] | None = None) -> int:
    """The report as PDF, in every script the scanner reads (``export/fonts.py`` finds the fonts).
    A letter no installed font can draw stops the export with one line naming the font to install;
    a symbol (an emoji) no font has is written as its code point, visibly."""
    pdf = FPDF(orientation="L", format="A4")
    pdf.set_auto_page_break(True, margin=12)
    faces = fonts.register(pdf)
    family = faces.family

    def text(value: str) -> str:
        return faces.drawable(pdf_text(value))

    pdf.add_page()
    pdf.set_font(family, size=16)
    pdf.cell(0, 10, text(f"Case {case.name}"), new_x="LMARGIN", new_y="NEXT")
    for heading, rows in sections(case):
        pdf.set_font(family, size=12)
        pdf.cell(0, 9, text(heading), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, size=7)
        with pdf.table(text_align="LEFT", line_height=3.5) as table:
            for row in rows:
                cells = table.row()
                for value in row:
                    cells.cell(text(value))
                if progress is not None:
                    progress()
        pdf.ln(3)
    pdf.output(str(path))
    return len(case.results)
