"""What the files of the record say about themselves: title, the organisation as author, and real dates.

The dates are the finalisation time (a draft: the end of the meeting), never the clock at rendering, so the same
minutes regenerate to the same bytes; they are written with the organisation's UTC offset (ECABINET_TIMEZONE).
The PDF also gets its empty signature fields here (pikepdf rewrites it once, deterministically).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

import pikepdf

from core.clock import DEFAULT_TIMEZONE, local, pdf_date
from core.types import clean_para

ORGANISATION = "Chính phủ"
PRODUCER = "e-Cabinet"


@dataclass(frozen=True)
class FileInfo:
    title: str
    subject: str = ""
    created: datetime | None = None  # None: the file carries no date at all (never a fake one)
    tz: str | tzinfo = DEFAULT_TIMEZONE
    author: str = ORGANISATION


def set_pdf_info(pdf: pikepdf.Pdf, info: FileInfo) -> None:
    doc = pdf.docinfo
    doc["/Title"], doc["/Author"], doc["/Creator"], doc["/Producer"] = info.title, info.author, info.author, PRODUCER
    if info.subject:
        doc["/Subject"] = info.subject
    for key in ("/CreationDate", "/ModDate"):
        if info.created is not None:
            doc[key] = pdf_date(info.created, info.tz)
        elif key in doc:
            del doc[key]


def _add_signature_fields(pdf: pikepdf.Pdf, fields: dict[str, tuple[int, float, float, float, float]]) -> None:
    """One empty, printable signature widget per block; a signer (here or in any PDF tool) fills it."""
    widgets = []
    for name, (page_ix, x0, y0, x1, y1) in sorted(fields.items()):
        page = pdf.pages[page_ix]
        widget = pdf.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Annot,
                Subtype=pikepdf.Name.Widget,
                FT=pikepdf.Name.Sig,
                T=pikepdf.String(name),
                Rect=[round(v, 2) for v in (x0, y0, x1, y1)],
                F=4,
                P=page.obj,
            )
        )
        if "/Annots" not in page.obj:
            page.obj.Annots = pdf.make_indirect(pikepdf.Array())
        page.obj.Annots.append(widget)
        widgets.append(widget)
    if widgets:
        pdf.Root.AcroForm = pdf.make_indirect(pikepdf.Dictionary(Fields=pikepdf.Array(widgets)))


def finish_pdf(data: bytes, info: FileInfo, *, fields: dict[str, Any] | None = None) -> bytes:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        set_pdf_info(pdf, info)
        _add_signature_fields(pdf, fields or {})
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True)
        return out.getvalue()


def _fit(text: str, limit: int = 255) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def set_docx_info(core: Any, info: FileInfo) -> None:
    """python-docx core properties: its template says 2013 and 'python-docx'; ours say who and when."""
    # Text stored before the input layer refused control characters must not make the file fail forever.
    # Core properties hold at most 255 characters (the full title is in the body); a longer one is cut with "…".
    title, subject, author = (_fit(clean_para(x)) for x in (info.title, info.subject, info.author))
    core.title, core.subject, core.author, core.last_modified_by = title, subject, author, author
    core.comments, core.keywords, core.category, core.revision = "", "", "Biên bản", 1
    if info.created is None:  # no date rather than the template's 2013
        for tag in ("created", "modified"):
            for el in core._element.findall(f"{{http://purl.org/dc/terms/}}{tag}"):
                core._element.remove(el)
        return
    # OOXML dates are UTC (W3CDTF '...Z'); Word shows them on the reader's clock.
    core.created = core.modified = local(info.created, "UTC").replace(microsecond=0)


def finish_docx(data: bytes, info: FileInfo) -> bytes:
    """Rewrites the package with every entry dated `info.created` on the organisation's clock (ZIP stores wall
    time), instead of the moment python-docx wrote it: same minutes, same bytes."""
    when = local(info.created, info.tz).timetuple()[:6] if info.created else (1980, 1, 1, 0, 0, 0)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(zipfile.ZipInfo(item.filename, date_time=when), src.read(item.filename), zipfile.ZIP_DEFLATED)
    return out.getvalue()
