"""Property tests of the readers (issue 12): for any input, every record ends as a listing or a
reject, and no exception escapes. 200 examples each in the default suite; ``make fuzz`` runs 5,000."""

from __future__ import annotations

import csv
import io
import os

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wildtrace.scan.listing import Listing, RecordLimits
from wildtrace.scan.readers import read_csv, read_jsonl
from wildtrace.scan.result import Reject

BUDGET = settings(max_examples=int(os.environ.get("WILDTRACE_FUZZ_EXAMPLES", "200")), deadline=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
LIMITS = RecordLimits(max_field_chars=2_000, max_depth=6, max_fields=20, max_int_digits=18)
KW = {"max_field_chars": 2_000, "max_record_bytes": 20_000, "limits": LIMITS}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=30)
records = st.dictionaries(st.sampled_from(["id", "title", "text", "price", "images", "seller", "x", "y"]),
                          json_values, max_size=6)


def _line_of(item: object) -> bytes:
    if isinstance(item, bytes):
        return item.replace(b"\n", b" ")
    return orjson.dumps(item, option=orjson.OPT_NON_STR_KEYS) if not isinstance(item, str) else item.encode()


@BUDGET
@given(st.lists(records | st.binary(max_size=60) | st.text(max_size=40).map(lambda t: t.replace("\n", " ")),
                max_size=25))
def test_jsonl_every_line_is_a_listing_or_a_reject(items: list[object]) -> None:
    lines = []
    for item in items:
        try:
            lines.append(_line_of(item))
        except TypeError:  # a value orjson itself cannot write (e.g. an integer past 64 bits)
            lines.append(repr(item).encode().replace(b"\n", b" "))
    data = b"\n".join(lines) + b"\n"
    out = list(read_jsonl(io.BytesIO(data), **KW))
    assert all(isinstance(o, Listing | Reject) for o in out)
    assert len(out) == sum(1 for line in lines if line.strip())


cells = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)


@BUDGET
@given(st.lists(st.tuples(st.text(alphabet="abc123-", min_size=1, max_size=8), cells, cells), max_size=30))
def test_csv_every_row_is_a_listing_or_a_reject(rows: list[tuple[str, str, str]]) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["id", "title", "text"])
    writer.writerows(rows)
    out = list(read_csv(io.BytesIO(buf.getvalue().encode("utf-8")), **KW))
    assert all(isinstance(o, Listing | Reject) for o in out)
    assert len(out) == len(rows)


@BUDGET
@given(st.binary(max_size=2_000))
def test_csv_of_any_bytes_never_raises(data: bytes) -> None:
    out = list(read_csv(io.BytesIO(b"id,title,text\n" + data), **KW))
    assert all(isinstance(o, Listing | Reject) for o in out)


@BUDGET
@given(st.lists(st.tuples(st.text(alphabet="abc123", min_size=1, max_size=6), cells), min_size=2, max_size=40),
       st.data())
def test_csv_an_unclosed_quote_costs_one_row_not_the_rest(rows: list[tuple[str, str]], data: st.DataObject) -> None:
    """One row's title opened with a quote that is never closed: that row is a reject and every
    other single-line row is read."""
    flat = [(i, t.replace("\n", " ").replace("\r", " ").replace('"', "").replace(",", " ")) for i, t in rows]
    k = data.draw(st.integers(min_value=0, max_value=len(flat) - 1))
    lines = ["id,title"] + [f'{i},"{t}' if n == k else f"{i},{t}" for n, (i, t) in enumerate(flat)]
    out = list(read_csv(io.BytesIO(("\n".join(lines) + "\n").encode()), **KW))
    rejects = [o for o in out if isinstance(o, Reject)]
    assert [r.line for r in rejects] == [k + 2]
    assert [o.id for o in out if isinstance(o, Listing)] == [i for n, (i, _) in enumerate(flat) if n != k]


@BUDGET
@given(st.lists(st.tuples(st.text(alphabet="abc123", min_size=1, max_size=6), cells), min_size=2, max_size=40),
       st.data())
def test_csv_a_stray_quote_closed_rows_later_costs_one_row(rows: list[tuple[str, str]], data: st.DataObject) -> None:
    """Issue 29, item 5: a row opens a quote that a later row closes; the rows between used to vanish
    inside one field (exit 0, no reject). Now the opening row is the reject and every other row is read."""
    flat = [(i, t.replace("\n", " ").replace("\r", " ").replace('"', "").replace(",", " ")) for i, t in rows]
    k = data.draw(st.integers(min_value=0, max_value=len(flat) - 2))
    m = data.draw(st.integers(min_value=k + 1, max_value=len(flat) - 1))
    lines = ["id,title"]
    for n, (i, t) in enumerate(flat):
        lines.append(f'{i},"{t}' if n == k else f'{i},{t}x"y' if n == m else f"{i},{t}")
    out = list(read_csv(io.BytesIO(("\n".join(lines) + "\n").encode()), **KW))
    rejects = [o for o in out if isinstance(o, Reject)]
    assert [r.line for r in rejects] == [k + 2], (k, m, rejects)
    assert [o.id for o in out if isinstance(o, Listing)] == [i for n, (i, _) in enumerate(flat) if n != k]


def test_csv_a_quoted_field_with_a_carriage_return_is_one_record() -> None:
    """Found by the fuzz test in CI's run: csv.writer's ``"\\r0,"`` is one field, not a stray quote."""
    buf = io.StringIO()
    csv.writer(buf).writerows([["id", "title", "text"], ["1", "\r0,", ""]])
    out = list(read_csv(io.BytesIO(buf.getvalue().encode("utf-8")), **KW))
    assert [type(o).__name__ for o in out] == ["Listing"], out
