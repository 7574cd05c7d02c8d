"""``LocalLexicon.add_many`` (a term list's import) on every backend: one transaction, one version
per term, a refused term reported in its place while the rest go in."""

from __future__ import annotations

from wildtrace.store.lexicon import LocalLexicon


def test_add_many_numbers_each_term_and_refuses_alone(db_url: str) -> None:
    with LocalLexicon(db_url) as lex:
        assert lex.add("ox bone", author="bob") == 1
        out = lex.add_many([
            {"term": "vảy tê tê rang", "lang": "vi", "means_taxon": "Manis javanica", "author": "ana"},
            {"term": "Ox Bone", "author": "ana"},  # already there, in the match form
            {"term": "zz top", "kind": "bogus", "author": "ana"},
            {"term": "x", "author": "ana"},
            {"term": "for collectors", "kind": "sale_cue", "context_required": True, "note": "n"},
            {"term": "vay te te rang", "author": "ana"},  # the first one, without diacritics
        ])
        assert out[0] == 2 and out[4] == 3
        assert [type(x).__name__ for x in out] == ["int", "str", "str", "str", "int", "str"]
        assert "already in the local lexicon" in str(out[1]) and "unknown kind" in str(out[2])
        assert "too short" in str(out[3]) and "already" in str(out[5])
    with LocalLexicon(db_url) as lex:
        version, terms = lex.terms()
        assert version == 3
        assert [(t.term, t.kind, t.lang, t.means_taxon, t.context_required, t.author, t.version)
                for t in terms] == [
            ("for collectors", "sale_cue", "und", None, True, "unknown", 3),
            ("ox bone", "code_word", "und", None, False, "bob", 1),
            ("vảy tê tê rang", "code_word", "vi", "Manis javanica", False, "ana", 2)]
        assert lex.add_many([]) == []
