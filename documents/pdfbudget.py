"""How much an uploaded PDF decodes to, checked before anything decodes it whole (documents/pdfcheck.py).

A few KB of PDF can decode to gigabytes: a content stream Flate-compressed twice expands a million-fold, and an
image dictionary may claim 100000 × 100000 pixels over a few bytes of data. qpdf's rebuild, PDFium's page
renders and every watermarked download would pay for it again and again. So every stream is measured first with
the bounded decoders of documents/pdfdecode.py (each stops as soon as its allowance is passed), images also by
their dimensions (what a renderer allocates for them), and the file is refused when
- one stream (a form, a font, …), or one page's content (all its /Contents together), decodes to more than
  `Limits.stream`;
- one image needs more than `Limits.image` bytes: by its data, by its codec's frame (JPEG, JPEG 2000) or by
  width × height × 4 (the RGBA bitmap a renderer draws it into);
- all streams together decode to more than `Limits.document` (only what is decoded here: JPEG and the other
  image codecs are bounded per image).
The limits grow with ECABINET_MAX_UPLOAD_MB, with floors far above ordinary documents: a page's content is rarely
over a few MB; a 300 dpi A4 colour scan is 8.7 Mpixels (26 MB) a page, so a 100-page one stored with Flate decodes
to 2.6 GB, under the 3.2 GB document limit of a 50 MB upload limit. What passes is what is stored (the rebuild
keeps the same streams), so downloads, watermarks and renders of a stored file stay within the same limits.
qpdf decodes object and cross-reference streams while it opens a file, before any of this can look: `guard_qpdf`
makes qpdf's own Flate, RunLength and predictor decoders stop at the image limit (process-wide, only ever raised),
which also bounds what qpdf decodes later (a download's watermark, a file stored before these limits), and
`check_object_streams` measures the object streams before the page tree is read out of them.
Not measured: images inline in a content stream (PDFium draws even a huge one without decoding it whole), and
an LZW-coded cross-reference stream or object stream holding the catalog (qpdf decodes those on opening, with no
limit of its own for LZW). Neither can take the server's memory: the check runs in a worker process capped at
ECABINET_WORKER_MEMORY_MB (documents/render.py), where such a stream stops at the cap and the file is refused
(`too_complex`, documents/pdfcheck.py); PDFium renders (a file stored before these limits, too) run in workers
under the same cap, and a page that passes it answers an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pikepdf
from pikepdf.settings import get_qpdf_limits, set_qpdf_limits

from core.errors import ValidationFailed
from core.i18n import Msg
from documents.pdfdecode import ALIASES, DECODERS, IDENTITY, IMAGE_CODECS, Chunks, jpeg_size, jpx_size, slices

MIB = 1 << 20
DEFAULT_UPLOAD_MB = 50  # ECABINET_MAX_UPLOAD_MB's default
HEAD = 1 << 20  # bytes kept to read an image codec's frame header
BITMAP_BYTES = 4  # per pixel, as a renderer draws an image


@dataclass(frozen=True)
class Limits:
    stream: int  # decoded bytes of one non-image stream, and of one page's content
    image: int  # decoded bytes of one image
    document: int  # decoded bytes of all streams together

    @classmethod
    def for_upload(cls, max_upload_mb: int) -> Limits:
        m = max_upload_mb * MIB
        return cls(stream=max(16 * MIB, m), image=max(64 * MIB, 8 * m), document=max(256 * MIB, 64 * m))


_QPDF_DECODERS = ("flate_max_memory", "run_length_max_memory", "png_max_memory", "tiff_max_memory")


def guard_qpdf(limits: Limits) -> None:
    """qpdf's decoders stop at `limits.image` bytes a stream; a limit already higher (another app in the process
    with a larger upload limit) stays, so no file that passes `check` is ever cut short."""
    current, wanted = get_qpdf_limits(), min(limits.image, 2**32 - 1)
    for name in _QPDF_DECODERS:
        if int(current[name]) < wanted:  # also 0, qpdf's default: no limit
            set_qpdf_limits(**{name: wanted})  # type: ignore[arg-type]  # every one of these is an int


class _Over(Exception):
    """A decoding stage passed its allowance."""


def check_object_streams(pdf: pikepdf.Pdf, filename: str, limits: Limits) -> None:
    """Measure the object streams (which hold the page tree of most modern files) before any object is read out of
    one: qpdf decodes an object stream whole the first time it needs an object inside."""
    numbers = {e.obj_stream_number for e in pdf.get_xref_table().values() if e.type == 2 and e.obj_stream_number}
    for number in sorted(numbers):
        stream = pdf.get_object((number, 0))
        if isinstance(stream, pikepdf.Stream):
            try:
                _decoded(stream, limits.stream)
            except _Over:
                raise _stream(filename, limits.stream) from None


def check(pdf: pikepdf.Pdf, filename: str, limits: Limits) -> None:
    """Refuse (ValidationFailed, details.reason "decompressed_too_large") a PDF that decodes past `limits`."""
    sizes: dict[tuple[int, int], int] = {}
    total = 0
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Stream):
            continue
        image = _lower(obj.get("/Subtype")) == "image"
        limit = limits.image if image else limits.stream
        allowed = min(limit, limits.document - total)
        if image:
            _check_pixels(filename, limits, _int(obj.get("/Width")), _int(obj.get("/Height")))
        try:
            size, frame = _decoded(obj, allowed)
        except _Over:
            if allowed < limit:
                raise _document(filename, limits) from None
            raise _stream(filename, limit) from None
        if frame is not None:
            width, height, comps = frame
            _check_pixels(filename, limits, width, height, max(comps, 1))
        sizes[obj.objgen] = size
        total += size
    for n, page in enumerate(pdf.pages, start=1):
        contents = page.obj.get("/Contents")
        items = (
            [contents]
            if isinstance(contents, pikepdf.Stream)
            else contents
            if isinstance(contents, pikepdf.Array)
            else []
        )
        content = sum(sizes.get(c.objgen, 0) for c in items if isinstance(c, pikepdf.Stream))
        if content > limits.stream:
            raise _page(filename, n, limits.stream)


def _decoded(stream: pikepdf.Stream, limit: int) -> tuple[int, tuple[int, int, int] | None]:
    """(bytes the stream decodes to, the frame (width, height, components) when an image codec ends its filters)."""
    chunks: Chunks = slices(stream.read_raw_bytes())
    for name, parms in _filters(stream):
        if name in IDENTITY:
            continue
        if name in DECODERS:
            early = _int(parms.get("/EarlyChange", 1)) if name == "/LZWDecode" and parms is not None else 1
            args = (early,) if name == "/LZWDecode" else ()
            chunks = _counted(DECODERS[name](chunks, *args), limit)
            continue
        if name in IMAGE_CODECS:
            head, size = _drain(chunks, limit)
            return _codec(name, head, stream, parms, size)
        break  # a filter no reader knows: its data is kept as it is, undecoded
    return _drain(chunks, limit)[1], None


def _codec(
    name: str, head: bytes, stream: pikepdf.Stream, parms: Any, size: int
) -> tuple[int, tuple[int, int, int] | None]:
    width, height = _int(stream.get("/Width")), _int(stream.get("/Height"))
    if name == "/DCTDecode":
        frame = jpeg_size(head)
    elif name == "/JPXDecode":
        frame = jpx_size(head)
    else:  # JBIG2 and CCITT: one bit a pixel, sized by the dictionary (CCITT: also by its /Columns and /Rows)
        if name == "/CCITTFaxDecode" and parms is not None:
            width = max(width, _int(parms.get("/Columns", 1728)))
            height = max(height, _int(parms.get("/Rows", 0)))
        frame = (width, height, 1)
    if frame is None:
        frame = (width, height, 1)
    return size, (max(width, frame[0]), max(height, frame[1]), frame[2])


def _check_pixels(filename: str, limits: Limits, width: int, height: int, comps: int = 1) -> None:
    if width * height * max(BITMAP_BYTES, comps) > limits.image:
        raise ValidationFailed(
            Msg(
                "Tệp PDF “{filename}” có hình ảnh quá lớn ({width}×{height} điểm ảnh: giải nén cần hơn {limit_mb} MB, "
                "vượt giới hạn của hệ thống). Hãy quét hoặc xuất lại với độ phân giải thấp hơn (ví dụ 300 dpi) rồi "
                "tải lên.",
                filename=filename,
                width=width,
                height=height,
                limit_mb=limits.image // MIB,
            ),
            details=_details("image", limits.image, width=width, height=height),
        )


def _filters(stream: pikepdf.Stream) -> list[tuple[str, Any]]:
    """(filter name, its /DecodeParms dictionary or None), in decoding order; names in their long form."""
    names, parms = _listed(stream.get("/Filter")), _listed(stream.get("/DecodeParms"))
    out = []
    for i, name in enumerate(names):
        p = parms[i] if i < len(parms) and isinstance(parms[i], pikepdf.Dictionary) else None
        out.append((ALIASES.get(str(name), str(name)) if isinstance(name, pikepdf.Name) else "?", p))
    return out


def _listed(value: Any) -> list[Any]:
    return list(value) if isinstance(value, pikepdf.Array) else [] if value is None else [value]


def _counted(chunks: Chunks, limit: int) -> Chunks:
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > limit:
            raise _Over
        yield chunk


def _drain(chunks: Chunks, limit: int) -> tuple[bytes, int]:
    head, total = bytearray(), 0
    for chunk in chunks:
        total += len(chunk)
        if total > limit:  # undecoded data past the limit (an uncompressed stream)
            raise _Over
        if len(head) < HEAD:
            head += chunk[: HEAD - len(head)]
    return bytes(head), total


def _int(value: Any) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError, OverflowError):
        return 0


def _lower(value: Any) -> str:
    return str(value)[1:].lower() if isinstance(value, pikepdf.Name) else ""


def _details(part: str, limit: int, **more: object) -> dict[str, object]:
    return {"reason": "decompressed_too_large", "part": part, "limit_mb": limit // MIB, **more}


def _stream(filename: str, limit: int) -> ValidationFailed:
    return ValidationFailed(
        Msg(
            "Tệp PDF “{filename}” bị từ chối vì lý do an toàn: một luồng dữ liệu trong tệp giải nén ra hơn {limit_mb} "
            "MB, vượt giới hạn của hệ thống (dấu hiệu của tệp “bom giải nén”). Hãy xuất lại thành PDF thông thường "
            "(In → Lưu dưới dạng PDF) rồi tải lên.",
            filename=filename,
            limit_mb=limit // MIB,
        ),
        details=_details("stream", limit),
    )


def _page(filename: str, page: int, limit: int) -> ValidationFailed:
    return ValidationFailed(
        Msg(
            "Tệp PDF “{filename}” bị từ chối vì lý do an toàn: nội dung trang {page} giải nén ra hơn {limit_mb} MB, "
            "vượt giới hạn của hệ thống. Hãy xuất lại thành PDF thông thường (In → Lưu dưới dạng PDF) rồi tải lên.",
            filename=filename,
            page=page,
            limit_mb=limit // MIB,
        ),
        details=_details("page", limit, page=page),
    )


def _document(filename: str, limits: Limits) -> ValidationFailed:
    return ValidationFailed(
        Msg(
            "Tệp PDF “{filename}” giải nén ra tổng cộng hơn {limit_mb} MB dữ liệu, vượt giới hạn của hệ thống. Hãy "
            "chia tài liệu thành nhiều tệp nhỏ hơn, hoặc quét lại với độ phân giải thấp hơn, rồi tải lên.",
            filename=filename,
            limit_mb=limits.document // MIB,
        ),
        details=_details("document", limits.document),
    )
