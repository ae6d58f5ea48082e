"""A vote's choices carry their meaning by their kind, never by their label.

A motion is decided by three choices, each of a fixed kind (votes/models.py OptionKind): tán thành (yes), không tán
thành (no), không biểu quyết (abstain). The result is computed by kind (votes/rules.py) and the record counts by
kind; so the label a ballot's button shows must say what its kind means. A label is therefore one of its kind's
wordings (WORDINGS: the standard one first, then the few the Government's documents use alike), compared by
skeleton (core/scripts.py: NFC, case, spaces, invisible characters and look-alike letters do not count) and stored
in its wording's own spelling. "Không tán thành" on the yes choice, "Tán thành" twice, or "Tán thành" with a
zero-width space, a Cyrillic "а" or two spaces are refused: a label cannot claim another kind's meaning, and no two
choices read alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from core.i18n import N_, Msg
from core.scripts import skeleton
from votes.models import OptionKind

WORDINGS: dict[OptionKind, tuple[str, ...]] = {
    OptionKind.yes: ("Tán thành", "Đồng ý", "Nhất trí"),
    OptionKind.no: ("Không tán thành", "Không đồng ý", "Không nhất trí", "Phản đối"),
    OptionKind.abstain: ("Không biểu quyết", "Không ý kiến", "Không có ý kiến"),
}
_BY_SKELETON = {skeleton(w): (kind, w) for kind, words in WORDINGS.items() for w in words}


def standard_label(kind: OptionKind | str) -> str:
    """The standard wording of a kind ("Tán thành"): how the record names the count of that kind."""
    return WORDINGS[OptionKind(kind)][0]


def canonical_label(label: str, kind: OptionKind) -> str:
    """`label` as stored for a choice of `kind`: its wording's own spelling; ValueError (a 422 naming the field) for a
    label that is not a wording of that kind, with the kind's wordings named."""
    found = _BY_SKELETON.get(skeleton(label))
    if found is None:
        raise ValueError(
            Msg(
                "nhãn “{label}” không phải cách ghi của lựa chọn “{standard}”; hãy dùng: {wordings}",
                label=label,
                standard=standard_label(kind),
                wordings=", ".join(f"“{w}”" for w in WORDINGS[kind]),
            )
        )
    meaning, wording = found
    if meaning != kind:
        raise ValueError(
            Msg(
                "nhãn “{label}” mang nghĩa “{meaning}”, không dùng được cho lựa chọn “{standard}”",
                label=label,
                meaning=standard_label(meaning),
                standard=standard_label(kind),
            )
        )
    return wording


class _Option(Protocol):
    @property
    def label(self) -> str: ...
    @property
    def kind(self) -> OptionKind: ...


def check_options(options: Sequence[_Option]) -> None:
    """A vote's choices: exactly one yes, one no, at most one abstain (labels are checked one by one already)."""
    kinds = [o.kind for o in options]
    if kinds.count(OptionKind.yes) != 1 or kinds.count(OptionKind.no) != 1 or kinds.count(OptionKind.abstain) > 1:
        raise ValueError(
            N_("cần đúng một lựa chọn tán thành (yes), một không tán thành (no), tối đa một không biểu quyết (abstain)")
        )
    if len({skeleton(o.label) for o in options}) != len(options):  # by construction; kept as the rule's statement
        raise ValueError(N_("các lựa chọn phải có nhãn khác nhau"))
