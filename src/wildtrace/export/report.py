"""Case report in HTML and PDF: listings, reasons, network, every evidence hash and capture time,
and each capture's screenshot (with its banner: URL, time, page hash).

Listing text is hostile: everything is escaped in HTML, and the PDF is drawn as text. Long hashes
and URLs wrap (CSS in HTML; cut into pieces in the PDF, a SHA-256 into four groups of 16). A
screenshot is embedded only while its SHA-256 still matches the custody log (else the report says
it is tampered or missing); the HTML carries it as a data URI, the PDF scaled to the page width,
a tall page cut into page-high slices (``MAX_SHOT_PAGES`` at most), one about a screen high
shrunk onto one page.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fpdf import FPDF

from wildtrace import __version__
from wildtrace.export import fonts
from wildtrace.export.clean import pdf_text, report_text
from wildtrace.provenance import sha256_file

if TYPE_CHECKING:
    from wildtrace.cases import Case

#: Pages one screenshot may fill in the PDF; a screenshot larger than this many bytes is not
#: inlined in the HTML (the report names the file instead)
MAX_SHOT_PAGES = 4
#: a screenshot up to this many page heights (at the page's width) is shrunk onto one page, not cut
FIT_WHOLE = 1.6
MAX_HTML_SHOT_BYTES = 8_000_000
#: relative column widths of a PDF table (the rest share the page equally): room for the hashes
WIDTHS = {"Evidence captures": (15, 22, 12, 9, 12, 30)}
_SHA256 = re.compile(r"\b[0-9a-f]{64}\b")


@dataclass
class Shot:
    """A capture's screenshot for the report: the file (None when it cannot be shown) or why not."""

    capture_id: str
    url: str
    captured_at: str
    path: Path | None
    note: str = ""


def screenshots(case: Case) -> list[Shot]:
    """Each capture's screenshot, checked against the SHA-256 its custody entry recorded."""
    out = []
    for c in case.captures:
        rel = c.get("screenshot")
        listed = next((f for f in c.get("files") or [] if f.get("path") == rel), None)
        if not rel or listed is None or not c.get("evidence_dir"):
            continue
        shot = Shot(str(c.get("capture_id")), str(c.get("final_url") or c.get("url") or ""),
                    str(c.get("captured_at") or ""), None)
        path = Path(str(c["evidence_dir"])) / str(rel)
        if not path.is_file():
            shot.note = f"screenshot missing: {rel} is not in the evidence folder"
        elif sha256_file(path) != listed.get("sha256"):
            shot.note = f"screenshot not shown: {rel} no longer matches its SHA-256 in the custody log (tampered)"
        else:
            shot.path = path
        out.append(shot)
    return out



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
        hashes += [f"{str(f['path']).rsplit('/', 1)[-1]}: {f['sha256']}" for f in c.get("files", [])]
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
             "<style>body{font-family:sans-serif}table{border-collapse:collapse;margin-bottom:1.5em;"
             "table-layout:fixed;width:100%}"
             "td,th{border:1px solid #999;padding:3px 6px;vertical-align:top;white-space:pre-wrap;"
             "overflow-wrap:anywhere;word-break:break-all}"
             "figure{margin:0 0 1.5em}figure img{max-width:100%;height:auto;border:1px solid #999}"
             "</style></head><body>", f"<h1>Case {esc(case.name)}</h1>"]
    for heading, rows in sections(case):
        parts.append(f"<h2>{esc(heading)}</h2><table><tr>"
                     + "".join(f"<th>{esc(c)}</th>" for c in rows[0]) + "</tr>")
        for row in rows[1:]:
            parts.append("<tr>" + "".join(f"<td>{esc(report_text(c))}</td>" for c in row) + "</tr>")
        parts.append("</table>")
    shots = screenshots(case)
    if shots:
        parts.append("<h2>Capture screenshots</h2>")
    for shot in shots:
        caption = esc(report_text(f"{shot.capture_id} · {shot.captured_at} · {shot.url}"))
        if shot.path is not None and shot.path.stat().st_size <= MAX_HTML_SHOT_BYTES:
            data = base64.b64encode(shot.path.read_bytes()).decode("ascii")
            parts.append(f"<figure><img src='data:image/png;base64,{data}' alt='screenshot of capture "
                         f"{esc(shot.capture_id)}'><figcaption>{caption}</figcaption></figure>")
        else:
            note = shot.note or f"screenshot too large to inline: {shot.path}"
            parts.append(f"<figure><figcaption>{caption}<br>{esc(report_text(note))}</figcaption></figure>")
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
        grouped = _SHA256.sub(lambda m: " ".join(m.group(0)[i:i + 16] for i in range(0, 64, 16)), str(value))
        return faces.drawable(pdf_text(grouped))

    pdf.add_page()
    pdf.set_font(family, size=16)
    pdf.cell(0, 10, text(f"Case {case.name}"), new_x="LMARGIN", new_y="NEXT")
    for heading, rows in sections(case):
        pdf.set_font(family, size=12)
        pdf.cell(0, 9, text(heading), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, size=7)
        with pdf.table(text_align="LEFT", line_height=3.5, col_widths=WIDTHS.get(heading)) as table:
            for row in rows:
                cells = table.row()
                for value in row:
                    cells.cell(text(value))
                if progress is not None:
                    progress()
        pdf.ln(3)
    for shot in screenshots(case):
        _pdf_shot(pdf, shot, family, text)
    pdf.output(str(path))
    return len(case.results)


def _pdf_shot(pdf: FPDF, shot: Shot, family: str, text: Callable[[str], str]) -> None:
    """The screenshot on new pages, scaled to the page width, cut into page-high slices (or, about
    one screen high, shrunk onto one page)."""
    from PIL import Image

    pdf.add_page()
    pdf.set_font(family, size=9)
    pdf.multi_cell(0, 4, text(f"Capture {shot.capture_id}, {shot.captured_at} (UTC): {shot.url}"),
                   new_x="LMARGIN", new_y="NEXT")
    if shot.path is None:
        pdf.multi_cell(0, 4, text(shot.note), new_x="LMARGIN", new_y="NEXT")
        return
    with Image.open(shot.path) as opened:
        image = opened.convert("RGB")
    width, room = pdf.epw, pdf.eph - 20
    slice_px = max(1, int(image.width * room / width))
    if image.height <= slice_px * FIT_WHOLE:  # about one screen: the whole of it on the page, smaller
        scale = min(width / image.width, room / image.height)
        pdf.image(image, x=pdf.l_margin, y=pdf.get_y(), w=image.width * scale, h=image.height * scale)
        return
    count = -(-image.height // slice_px)
    for n in range(min(count, MAX_SHOT_PAGES)):
        if n:
            pdf.add_page()
        part = image.crop((0, n * slice_px, image.width, min(image.height, (n + 1) * slice_px)))
        pdf.image(part, x=pdf.l_margin, y=pdf.get_y(), w=width, h=width * part.height / image.width)
    if count > MAX_SHOT_PAGES:
        pdf.set_y(pdf.h - pdf.b_margin - 5)
        pdf.cell(0, 4, text(f"(cut after {MAX_SHOT_PAGES} pages; the whole screenshot is {shot.path.name} "
                            "in the evidence folder)"))
