"""The page of visible hits, ranked by each hit's own words only.

Nothing a caller receives may depend on rows he may not read (a score computed with statistics over the whole
index let a member count the restricted pages that mention a word). So the permission filter comes first and
the rank is a function of the visible row alone:
- What is ranked: the visible matches, most recently indexed first (search_entry.id descending), RANKED (1000)
  of them at most; one more is read to know whether there are more (`more`). A query with more visible hits ranks
  its RANKED most recent ones, and `total`, the pages and `more` are about that set: a word found on nearly every
  page costs about what a rarer one does (docs/performance.md, "Search across documents").
- SQLite (FTS4): matchinfo(search_fts, 'yl') gives, from the index and for the row alone, the number of times each
  query word occurs in it and its length in words (never the formats n, a or x: they count over the whole
  index). The rank is BM25 without the index's statistics: for each query word, its saturated count in the row,
  tf·(k1+1) / (tf + k1·(1 − b + b·length/LENGTH)), summed, with a fixed LENGTH. Every word weighs the same (no
  IDF), as in PostgreSQL.
- PostgreSQL: ts_rank(tsv, query) with no normalisation reads only the row's tsvector.
Ties go to the older row (search_entry.id), so the order of two visible hits is theirs alone.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any

from search.models import FTS_TABLE

RANKED = 1000  # the most recent visible hits ranked, counted and paged ("1000+" beyond); read at each call
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
ENTRY = "e.id, e.kind, e.meeting_id, e.agenda_item_id, e.document_id, e.version_id, e.page"

# The FTS table drives the join (CROSS JOIN keeps it outermost), newest row first, so the scan stops after
# :cap visible hits instead of reading every match; each row carries its own counts, nothing else.
SQLITE_CANDIDATES = (
    f"SELECT h.id, matchinfo({FTS_TABLE}, 'yl') AS counts FROM {FTS_TABLE} "
    f"CROSS JOIN search_entry h ON h.id = {FTS_TABLE}.rowid {_JOINS} "
    f"WHERE {FTS_TABLE} MATCH :match AND ({_VISIBLE}) ORDER BY {FTS_TABLE}.rowid DESC LIMIT :cap"
)


def score(counts: Sequence[int], length: int) -> float:
    """BM25 of one row from its own counts of the query words and its own length in words."""
    norm = K1 * ((1 - B) + B * length / LENGTH)
    return sum(n * (K1 + 1) / (n + norm) for n in counts)


def sqlite_order(candidates: Sequence[Any]) -> list[int]:
    """The ids of SQLITE_CANDIDATES' rows (id, counts), the first RANKED of them, best first. `counts` is
    matchinfo 'yl': one unsigned 32-bit integer per query word, then the row's length, in the machine's order."""
    rows = candidates[:RANKED]
    if not rows:
        return []
    unpack = struct.Struct(f"={len(rows[0][1]) // 4}I").unpack
    keyed = []
    for row_id, counts in rows:
        *words, length = unpack(counts)
        keyed.append((-score(words, length), row_id))
    keyed.sort()
    return [row_id for _, row_id in keyed]


def postgres_page(config: str) -> str:
    """The page of hits (ENTRY columns) after one row with the number of candidates (`total`, the rest NULL when
    the page is empty): the :cap most recent visible matches, the first RANKED of them ranked by ts_rank."""
    return (
        f"WITH c AS MATERIALIZED (SELECT h.id FROM (SELECT rowid AS id, meeting_id, document_id FROM {FTS_TABLE}, "
        f"to_tsquery('{config}', :match) q WHERE tsv @@ q) h {VISIBLE_HITS} ORDER BY h.id DESC LIMIT :cap), "
        f"r AS (SELECT c.id, ts_rank(f.tsv, to_tsquery('{config}', :match)) AS score "
        f"FROM (SELECT id FROM c ORDER BY id DESC LIMIT :ranked) c JOIN {FTS_TABLE} f ON f.rowid = c.id "
        "ORDER BY score DESC, c.id LIMIT :limit OFFSET :offset) "
        f"SELECT n.total, {ENTRY} FROM (SELECT count(*) AS total FROM c) n LEFT JOIN r ON true "
        "LEFT JOIN search_entry e ON e.id = r.id ORDER BY r.score DESC, e.id"
    )
