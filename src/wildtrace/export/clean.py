"""Text made safe for each export format: listing text is written by criminals.

- ``xml_text``: only characters XML 1.0 allows (a control character in a seller name made GEXF and
  GraphML invalid), capped in length;
- ``pdf_text``: capped, and long unbroken runs (an 8,000-character URL) cut into pieces a table cell
  can wrap, so one listing never fails the whole report;
- CSV cells go through ``wildtrace.csvcell.safe_cell`` (formula guard, length cap).
"""

from __future__ import annotations

import re

#: Longest attribute or text in GEXF/GraphML, and longest cell of a PDF or HTML report (characters)
MAX_XML_TEXT = 10_000
MAX_REPORT_CELL = 2_000
#: Longest PDF table cell: a row must fit on one page (about 1,600 characters a column at 7 pt)
MAX_PDF_CELL = 800
#: A run without spaces longer than this is cut with spaces for the PDF table to wrap
MAX_PDF_RUN = 48

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_RUN = re.compile(rf"\S{{{MAX_PDF_RUN + 1},}}")


def _cap(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def xml_text(value: object, limit: int = MAX_XML_TEXT) -> str:
    """``value`` as text XML can hold: characters XML forbids become U+FFFD, then capped."""
    return _cap(_NOT_XML.sub("\ufffd", "" if value is None else str(value)), limit)


def report_text(value: object, limit: int = MAX_REPORT_CELL) -> str:
    """``value`` for an HTML or PDF report: control characters removed, capped."""
    return _cap(_CONTROL.sub("", "" if value is None else str(value)), limit)


def pdf_text(value: object, limit: int = MAX_PDF_CELL) -> str:
    """``report_text``, with runs longer than ``MAX_PDF_RUN`` characters cut so a cell can wrap them."""
    text = report_text(value, limit)
    return _RUN.sub(lambda m: " ".join(m.group(0)[i:i + MAX_PDF_RUN]
                                       for i in range(0, len(m.group(0)), MAX_PDF_RUN)), text)
