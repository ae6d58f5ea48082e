"""Streaming decoders for PDF stream filters, to measure how big a stream decodes without holding it whole.

Each decoder takes an iterator of byte chunks and yields chunks of at most CHUNK bytes, so a caller that counts
what comes out (documents/pdfbudget.py) stops a bomb after reading only its allowance, in bounded memory. They
decode as leniently as readers do (PDFium, qpdf): damaged data ends the output instead of raising, and data
after a Flate stream's end is decoded as a further stream (more than a reader keeps: the measure stays an upper
bound). Predictors (/DecodeParms) never make data longer, so they are not applied.
The image codecs (DCT, JPX, JBIG2, CCITT) are not decoded: their size comes from their headers (`jpeg_size`,
`jpx_size`) and the image dictionary.
"""

from __future__ import annotations

import base64
import re
import zlib
from typing import Callable, Iterable, Iterator

CHUNK = 1 << 20  # bytes per output chunk
IN_CHUNK = 1 << 16  # bytes of input fed at a time
Chunks = Iterator[bytes]

_SPACE = re.compile(rb"[\x00\t\n\x0c\r ]")


def slices(data: bytes) -> Chunks:
    view = memoryview(data)
    for i in range(0, len(view), IN_CHUNK):
        yield bytes(view[i : i + IN_CHUNK])


def flate(chunks: Iterable[bytes]) -> Chunks:
    d = zlib.decompressobj()
    for chunk in chunks:
        data = chunk
        while data:
            try:
                out = d.decompress(data, CHUNK)
            except zlib.error:  # damaged (or trailing junk): readers keep what came before
                return
            if out:
                yield out
            data = d.unconsumed_tail
            if d.eof:  # another zlib stream may follow: counted too
                data, d = d.unused_data + data, zlib.decompressobj()
    try:
        tail = d.flush()
    except zlib.error:
        return
    if tail:
        yield tail


def lzw(chunks: Iterable[bytes], early: int = 1) -> Chunks:
    """LZWDecode (PDF 32000 7.4.4), with /EarlyChange `early`."""
    table: list[bytes] = [bytes([i]) for i in range(256)] + [b"", b""]
    width, buf, nbits, prev = 9, 0, 0, b""
    out = bytearray()
    for chunk in chunks:
        for byte in chunk:
            buf, nbits = (buf << 8) | byte, nbits + 8
            while nbits >= width:
                nbits -= width
                code = (buf >> nbits) & ((1 << width) - 1)
                buf &= (1 << nbits) - 1
                if code == 256:  # clear
                    del table[258:]
                    width, prev = 9, b""
                    continue
                if code == 257:  # end of data
                    if out:
                        yield bytes(out)
                    return
                if code < len(table):
                    entry = table[code]
                elif code == len(table) and prev:
                    entry = prev + prev[:1]
                else:  # damaged
                    if out:
                        yield bytes(out)
                    return
                if prev and len(table) < 4096:
                    table.append(prev + entry[:1])
                prev = entry
                out += entry
                if len(table) + early >= (1 << width) and width < 12:
                    width += 1
                if len(out) >= CHUNK:
                    yield bytes(out)
                    out.clear()
    if out:
        yield bytes(out)


def run_length(chunks: Iterable[bytes]) -> Chunks:
    out = bytearray()
    pending = b""
    for chunk in chunks:
        data = pending + chunk
        i = 0
        while i < len(data):
            n = data[i]
            if n == 128:
                if out:
                    yield bytes(out)
                return
            if n < 128:
                if i + 1 + n + 1 > len(data):
                    break
                out += data[i + 1 : i + 2 + n]
                i += 2 + n
            else:
                if i + 1 >= len(data):
                    break
                out += data[i + 1 : i + 2] * (257 - n)
                i += 2
            if len(out) >= CHUNK:
                yield bytes(out)
                out.clear()
        pending = data[i:]
    if out:
        yield bytes(out)


def ascii_hex(chunks: Iterable[bytes]) -> Chunks:
    carry = b""
    for chunk in chunks:
        data = carry + _SPACE.sub(b"", chunk)
        end = data.find(b">")
        if end >= 0:
            data = data[:end]
        even = len(data) - len(data) % 2
        try:
            out = bytes.fromhex(data[:even].decode("ascii"))
        except (ValueError, UnicodeDecodeError):
            return
        if out:
            yield out
        carry = data[even:]
        if end >= 0:
            break
    if carry and carry in b"0123456789abcdefABCDEF":  # an odd last digit is followed by 0
        yield bytes.fromhex(carry.decode("ascii") + "0")


def ascii85(chunks: Iterable[bytes]) -> Chunks:
    carry = b""
    done = False
    for chunk in chunks:
        data = carry + _SPACE.sub(b"", chunk).replace(b"z", b"!!!!!")
        end = data.find(b"~")
        if end >= 0:
            data, done = data[:end], True
        whole = len(data) - len(data) % 5
        try:
            out = base64.a85decode(data[:whole])
        except ValueError:
            return
        if out:
            yield out
        carry = data[whole:]
        if done:
            break
    if carry:
        try:
            yield base64.a85decode(carry)
        except ValueError:
            return


DECODERS: dict[str, Callable[..., Chunks]] = {
    "/FlateDecode": flate,
    "/LZWDecode": lzw,
    "/RunLengthDecode": run_length,
    "/ASCIIHexDecode": ascii_hex,
    "/ASCII85Decode": ascii85,
}
IMAGE_CODECS = {"/DCTDecode", "/JPXDecode", "/JBIG2Decode", "/CCITTFaxDecode"}
# Short names (meant for inline images; PDFium accepts them in streams too) and the identity filter.
ALIASES = {
    "/Fl": "/FlateDecode",
    "/LZW": "/LZWDecode",
    "/RL": "/RunLengthDecode",
    "/AHx": "/ASCIIHexDecode",
    "/A85": "/ASCII85Decode",
    "/DCT": "/DCTDecode",
    "/CCF": "/CCITTFaxDecode",
}
IDENTITY = {"/Crypt"}  # encrypted files are refused before this; an /Identity crypt filter changes nothing

_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def jpeg_size(head: bytes) -> tuple[int, int, int] | None:
    """(width, height, components) from a JPEG's frame header, when `head` reaches it."""
    i = 2 if head.startswith(b"\xff\xd8") else -1
    while 0 <= i and i + 4 <= len(head):
        if head[i] != 0xFF:
            return None
        marker = head[i + 1]
        if marker == 0xFF:
            i += 1
            continue
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            i += 2
            continue
        length = int.from_bytes(head[i + 2 : i + 4], "big")
        if marker in _SOF and i + 10 <= len(head):
            height = int.from_bytes(head[i + 5 : i + 7], "big")
            width = int.from_bytes(head[i + 7 : i + 9], "big")
            return width, height, head[i + 9]
        i += 2 + length
    return None


def jpx_size(head: bytes) -> tuple[int, int, int] | None:
    """(width, height, components) from a JPEG 2000 codestream's SIZ marker (also inside a JP2 file)."""
    at = head.find(b"\xff\x4f\xff\x51")
    if at < 0 or at + 42 > len(head):
        return None
    f = [int.from_bytes(head[at + 8 + 4 * k : at + 12 + 4 * k], "big") for k in range(4)]
    comps = int.from_bytes(head[at + 40 : at + 42], "big")
    return max(0, f[0] - f[2]), max(0, f[1] - f[3]), comps
