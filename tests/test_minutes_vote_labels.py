"""The record names a vote's counts by their choice's kind: a vote stored before labels were tied to their kind
(votes/options.py) with "Không tán thành" on its yes choice still reads "Tán thành: 6 … Không tán thành: 1" with
the result it had, never "Tán thành: 6 … Kết quả: Không thông qua" of swapped labels (probe F, finding 3)."""

from __future__ import annotations

from minutes.builder import vote_record
from minutes.facts import OptionFact, VoteFact


def _vote(labels: tuple[str, str, str], kinds: tuple[str, str, str] = ("yes", "no", "abstain")) -> VoteFact:
    options = tuple(OptionFact(i + 1, label, kind) for i, (label, kind) in enumerate(zip(labels, kinds)))
    return VoteFact(
        id=1,
        item_id=1,
        question="Thông qua dự thảo Nghị định",
        kind="open",
        rule="majority_of_members",
        state="published",
        options=options,
        result={"counts": {"1": 6, "2": 1, "3": 0}, "passed": True, "total_members": 7, "required": 4},
    )


def test_counts_are_named_by_kind_whatever_the_stored_label_says() -> None:
    swapped = vote_record(_vote(("Không tán thành", "Tán thành", "Không ý kiến")))
    # the swapped two by their kind's standard wording; the abstention's own wording is one of its kind's
    assert swapped.counts == [("Tán thành", 6), ("Không tán thành", 1), ("Không ý kiến", 0)]
    assert swapped.passed is True


def test_standard_labels_read_as_they_were_stored() -> None:
    plain = vote_record(_vote(("Tán thành", "Không tán thành", "Không biểu quyết")))
    assert plain.counts == [("Tán thành", 6), ("Không tán thành", 1), ("Không biểu quyết", 0)]


def test_a_wording_of_its_kind_is_printed_as_the_tablets_showed_it() -> None:
    alike = vote_record(_vote(("Đồng ý", "Không đồng ý", "Không ý kiến")))
    assert alike.counts == [("Đồng ý", 6), ("Không đồng ý", 1), ("Không ý kiến", 0)]
