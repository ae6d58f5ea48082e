"""Where a redirect may send the browser: a path on this site, never another host.

Browsers are lenient where a naive check is strict: they drop tab, CR and LF anywhere in a URL, trim
leading control characters and spaces, read '\\' as '/', and '/\\t/host' or '/%09/host' become '//host'
(another site). So a target is accepted only when it is plain printable ASCII, starts with exactly one
'/', and stays so after percent-decoding (however often it is decoded), with no scheme and no host.
"""

from __future__ import annotations

from urllib.parse import quote, unquote, urlsplit

DEFAULT = "/meetings"
MAX_LENGTH = 2048


def _plain_local(path: str) -> bool:
    if not path.startswith("/") or path[1:2] in ("/", "\\"):
        return False
    if any(not (0x21 <= ord(ch) <= 0x7E) or ch == "\\" for ch in path):  # controls, spaces, non-ASCII, '\'
        return False
    parts = urlsplit(path)
    return not parts.scheme and not parts.netloc


def is_local_path(value: str | None) -> bool:
    """True when the browser can only read `value` as a path on this site."""
    if not value or len(value) > MAX_LENGTH:
        return False
    for _ in range(4):  # '%2525...' layers: every decoded form must be safe too
        if not _plain_local(value):
            return False
        decoded = unquote(value, errors="strict") if "%" in value else value
        if decoded == value:
            return True
        value = decoded
    return False  # still changing after four decodings: nobody needs that


def safe_next(value: str | None, default: str = DEFAULT) -> str:
    """`value` when it is a local path, otherwise `default`."""
    try:
        return value if is_local_path(value) else default  # type: ignore[return-value]
    except UnicodeDecodeError:  # '%ff': not UTF-8 once decoded
        return default


def login_url(path: str) -> str:
    """The login page, coming back to `path` (this request's own path) afterwards."""
    return f"/login?next={quote(path)}"
