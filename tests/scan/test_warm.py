"""``Scanner.warm``: what the first listings would load on use is loaded before them (the parent of
``scan --jobs`` warms once and its forked workers share it), and warming changes no result."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_warm_loads_the_segmenters_and_classifier_and_changes_no_result() -> None:
    # a fresh interpreter: this test process may have loaded them already
    code = textwrap.dedent("""
        import json, sys
        from wildtrace import Scanner, Settings
        from wildtrace.text import lang, segment
        import pythainlp.tokenize as thai
        listings = [{"id": "th", "title": "ขายงาช้างแท้ ราคาถูก"}, {"id": "zh", "title": "出售象牙手镯 微信联系"},
                    {"id": "en", "title": "Carved ivory bangle for sale"}]
        from pathlib import Path
        settings = Settings(data_dir=Path(sys.argv[1]), text_model="shipped")
        warm = Scanner(settings)
        before = [segment._jieba.cache_info().currsize, thai.word_dict_trie.cache_info().currsize,
                  lang._identifier.cache_info().currsize]
        warm.warm(thai=False)
        no_thai = [segment._jieba.cache_info().currsize, thai.word_dict_trie.cache_info().currsize]
        warm.warm()
        after = [segment._jieba.cache_info().currsize, thai.word_dict_trie.cache_info().currsize,
                 lang._identifier.cache_info().currsize]
        warm_results = [r.to_dict() | {"scanned_at": ""} for r in warm.scan([dict(x) for x in listings])]
        other = Scanner(settings)  # never warmed (the tables it loads on use are loaded by now)
        cold_results = [r.to_dict() | {"scanned_at": ""} for r in other.scan([dict(x) for x in listings])]
        print(json.dumps({"before": before, "no_thai": no_thai, "after": after, "same": cold_results == warm_results}))
    """)
    import json
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run([sys.executable, "-c", code, tmp], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["before"] == [0, 0, 0]
    assert got["no_thai"] == [1, 0]  # the Thai dictionary left to the first Thai text
    assert got["after"] == [1, 1, 1]
    assert got["same"]


def test_a_chunk_with_thai_text_is_told_apart_raw_or_read() -> None:
    """``scan --jobs`` warms the Thai dictionary in the parent only when the first chunk has Thai:
    as UTF-8 or as JSON's \\u escapes in raw JSON Lines, or in a listing's fields."""
    from wildtrace.parallel import _has_thai
    from wildtrace.scan.listing import listing_from_record

    assert _has_thai([(1, '{"title": "งาช้าง"}'.encode())])
    assert _has_thai([(1, b'{"title": "\\u0e07\\u0e32"}'), (2, b"{}")])
    assert _has_thai([(1, b'{"title": "\\u0E07"}')])
    assert not _has_thai([(1, '{"title": "ivory \\u00e9 象牙 ngà"}'.encode())])
    assert _has_thai([listing_from_record({"id": "a", "title": "x", "text": "ขายงาช้าง"})])
    assert not _has_thai([listing_from_record({"id": "a", "title": "象牙 ivory"})])
