"""Move a legacy UI key file (web/messages/<area>.py: MESSAGES = {key: (Vietnamese, English)}) into both
catalogues and delete it:  python -m app.i18n_import [--replace] web/messages/<area>.py [more files]

A key already in the catalogue with another text is a conflict: nothing is written and the command fails,
unless --replace (the file's texts win: a branch that edited one of the old key files, restored at merge)."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

from app import i18n_po


def legacy_messages(path: Path) -> dict[str, tuple[str, str]]:
    found = runpy.run_path(str(path)).get("MESSAGES")
    if not isinstance(found, dict):
        raise SystemExit(f"{path}: no MESSAGES = {{key: (vi, en)}} table")
    return found


def merge(paths: list[Path], replace: bool = False) -> list[str]:
    """Add every entry to both .po files; the conflicts (same key, other text), none written if any."""
    cats = i18n_po.load_all()
    conflicts = []
    for path in paths:
        for key, (vi, en) in legacy_messages(path).items():
            for lang, text in (("vi", vi), ("en", en)):
                old = cats[lang].get(key)
                if old is not None and old.pluralizable:  # the catalogue's plural forms stay; one of them is fine
                    assert old.string is not None  # a plural entry read from a .po file has its forms
                    if text not in old.string and not replace:
                        conflicts.append(f"{path}: {key} [{lang}] {text!r} is none of the plural forms {old.string!r}")
                    continue
                if old is not None and old.string and old.string != text and not replace:
                    conflicts.append(f"{path}: {key} [{lang}] {text!r} != catalogue {old.string!r}")
                elif old is None:
                    cats[lang].add(key, text)
                else:
                    old.string = text
    if not conflicts:
        for lang, cat in cats.items():
            i18n_po.save(lang, cat)
    return conflicts


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    replace = "--replace" in args
    paths = [Path(p) for p in args if p != "--replace"]
    if not paths:
        print(__doc__)
        return 2
    conflicts = merge(paths, replace)
    if conflicts:
        print("\n".join(conflicts), file=sys.stderr)
        return 1
    for path in paths:
        path.unlink()
        print(f"{path}: moved into locale/*/LC_MESSAGES/messages.po and deleted")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
