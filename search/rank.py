"""The page of visible hits, ranked by each hit's own words only.

Nothing a caller receives may depend on rows he may not read (a score computed with statistics over the whole
index let a member count the restricted pages that mention a word). So the permission filter comes first and
the rank is a function of the visible row alone:
- SQLite: FTS5's bm25() uses the index's row count, average length and each word's row count, hidden rows
  included. The rank here is BM25 without those: for each query word, its saturated count in the row,
  tf·(k1+1) / (tf + k1·(1 − b + b·length/LENGTH)), summed, with a fixed LENGTH. The counts come from the
  vocabulary table search_fts_instance (migration 0020), the row's length in words from FTS5's docsize table.
  Every word weighs the same (no IDF), as in PostgreSQL.
- PostgreSQL: ts_rank(tsv, query) with no normalisation reads only the row's tsvector.
Ties go to the older row (search_entry.id), so the order of two visible hits is theirs alone.
"""

from __future__ import annotations

from search.query import Terms

K1, B = 1.2, 0.75
LENGTH = 300  # words of a typical page, in place of the index's average (which counts hidden pages)

_VISIBLE = """
  (:staff OR (p.id IS NOT NULL AND (p.role = 'secretary' OR m.state <> 'draft')))
  AND (h.document_id IS NULL OR :staff OR p.role = 'secretary' OR (
        (p.role <> 'guest' OR d.share_with_guests) AND (NOT d.restricted OR a.user_id IS NOT NULL)))
"""
_JOINS = """
  JOIN meeting m ON m.id = h.meeting_id
  LEFT JOIN participant p ON p.meeting_id = h.meeting_id AND p.user_id = :uid
  LEFT JOIN document d ON d.id = h.document_id
  LEFT JOIN document_access a ON a.document_id = h.document_id AND a.user_id = :uid
"""
VISIBLE_HITS = f"{_JOINS} WHERE {_VISIBLE}"  # appended to `FROM (matches) h`
_ENTRY = "e.id, e.kind, e.meeting_id, e.agenda_item_id, e.document_id, e.version_id, e.page"

# The docsize blob holds the row's length as an SQLite varint (7 bits a byte, high bit: more follow). A byte's
# value is its position in the 256-byte blob 00..FF; 3 bytes reach 2 097 151 words, more is capped there.
_BYTES = "X'" + "".join(f"{i:02x}" for i in range(256)) + "'"


def _byte(i: int) -> str:
    return f"(instr({_BYTES}, substr(z.sz, {i}, 1)) - 1)"


_B1, _B2, _B3 = _byte(1), _byte(2), _byte(3)
WORDS = (
    f"(CASE WHEN z.sz IS NULL THEN {LENGTH} WHEN {_B1} < 128 THEN {_B1} "
    f"WHEN {_B2} < 128 THEN ({_B1} - 128) * 128 + {_B2} "
    f"WHEN {_B3} < 128 THEN (({_B1} - 128) * 128 + {_B2} - 128) * 128 + {_B3} ELSE 2097151 END)"
)


def _occurrences(terms: Terms) -> tuple[list[str], dict[str, str]]:
    """One SELECT (doc, word number) per query word over its occurrences; the word being typed is a range."""
    arms, params = [], {}
    for i, word in enumerate(terms.words):
        params[f"w{i}"] = word
        if terms.prefix and i == len(terms.words) - 1:
            params[f"w{i}_end"] = word[:-1] + chr(ord(word[-1]) + 1)  # code-point order is UTF-8 byte order
            cond = f"term >= :w{i} AND term < :w{i}_end"
        else:
            cond = f"term = :w{i}"
        arms.append(f"SELECT doc, {i} AS w FROM search_fts_instance WHERE {cond}")
    return arms, params


def sqlite_page(terms: Terms) -> tuple[str, dict[str, str]]:
    """The page of visible hits (ENTRY columns), best first. `v` holds the visible matches; only their words'
    occurrences are counted, in one GROUP BY that also holds every row of `v` (word number -1), so no join
    between two unindexed intermediate tables is left to the planner."""
    arms, params = _occurrences(terms)
    counts = ", ".join(f"sum(w = {i}) AS n{i}" for i in range(len(terms.words)))
    parts = " + ".join(
        f"(n{i} * {K1 + 1} / (n{i} + {K1} * ({1 - B} + {B} * words / {LENGTH}.0)))" for i in range(len(terms.words))
    )
    occurrences = " UNION ALL ".join(["SELECT id AS doc, -1 AS w FROM v", *arms])
    sql = (
        "WITH h AS (SELECT e.id, e.meeting_id, e.document_id FROM search_fts "
        "JOIN search_entry e ON e.id = search_fts.rowid WHERE search_fts MATCH :match), "
        f"v AS MATERIALIZED (SELECT h.id FROM h {VISIBLE_HITS}), "
        f"tf AS MATERIALIZED (SELECT doc, {counts} FROM ({occurrences}) WHERE doc IN v GROUP BY doc), "
        f"s AS (SELECT tf.*, {WORDS} AS words FROM tf LEFT JOIN search_fts_docsize z ON z.id = tf.doc), "
        f"r AS (SELECT doc AS id, {parts} AS score FROM s ORDER BY score DESC, doc LIMIT :limit OFFSET :offset) "
        f"SELECT {_ENTRY} FROM r JOIN search_entry e ON e.id = r.id ORDER BY r.score DESC, e.id"
    )
    return sql, params


def postgres_page(config: str) -> str:
    return (
        f"WITH h AS (SELECT rowid AS id, meeting_id, document_id, tsv FROM search_fts, "
        f"to_tsquery('{config}', :match) q WHERE tsv @@ q), "
        f"r AS (SELECT h.id, ts_rank(h.tsv, to_tsquery('{config}', :match)) AS score FROM h {VISIBLE_HITS} "
        "ORDER BY score DESC, h.id LIMIT :limit OFFSET :offset) "
        f"SELECT {_ENTRY} FROM r JOIN search_entry e ON e.id = r.id ORDER BY r.score DESC, e.id"
    )
