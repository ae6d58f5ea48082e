"""The compositor: the latest decoded picture of every source, laid out with name labels on one canvas.

`update()` is called on the event loop with each decoded frame (it only swaps a reference); `compose()`
runs in the room's media thread. One VideoReformatter per tile keeps its scaler context between frames.
Composition stays in yuv420p (three 8-bit planes pasted with Pillow): tiles are only scaled, never
converted to RGB and back, which halves the cost of a composite."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import av
from av.video.reformatter import VideoReformatter
from PIL import Image, ImageDraw, ImageFont

from realtime.media.layout import Rect, fit, layout

FONT = Path(__file__).resolve().parents[2] / "minutes" / "fonts" / "LiberationSerif-Bold.ttf"
BACKGROUND_Y = 28  # dark slate (U = V = 128: grey)
PLACEHOLDER_Y = 64
NEUTRAL = 128
WAITING = "Chưa có ai phát hình — Waiting for a camera"


def _plane(frame: av.VideoFrame, index: int, width: int, height: int) -> Image.Image:
    plane = frame.planes[index]
    # arg-type: Pillow maps any buffer (its docs: "bytes or other buffer object"); its annotation omits memoryview
    view = memoryview(plane)
    return Image.frombuffer("L", (width, height), view, "raw", "L", plane.line_size, 1)  # type: ignore[arg-type]


def _fill(frame: av.VideoFrame, planes: tuple[Image.Image, ...]) -> av.VideoFrame:
    for plane, image in zip(frame.planes, planes):
        data = image.tobytes()
        if plane.line_size != image.width:
            pad = bytes(plane.line_size - image.width)
            data = b"".join(data[r * image.width : (r + 1) * image.width] + pad for r in range(image.height))
        plane.update(data)
    return frame


@dataclass
class Source:
    label: str
    frame: av.VideoFrame | None = None
    video_on: bool = True
    reformatter: VideoReformatter = field(default_factory=VideoReformatter)
    label_cache: tuple[int, Image.Image] | None = None


class Compositor:
    def __init__(self, width: int = 1280, height: int = 720) -> None:
        self.width, self.height = width, height
        self.sources: dict[str, Source] = {}
        self.featured: str | None = None
        self._lock = threading.Lock()
        self._fonts: dict[int, ImageFont.FreeTypeFont | ImageFont.ImageFont] = {}
        self._waiting: Image.Image | None = None

    # --- event loop side --------------------------------------------------------------------------
    def add(self, key: str, label: str) -> None:
        with self._lock:
            self.sources.setdefault(key, Source(label))

    def remove(self, key: str) -> None:
        with self._lock:
            self.sources.pop(key, None)

    def update(self, key: str, frame: av.VideoFrame) -> None:
        source = self.sources.get(key)
        if source is not None:
            source.frame = frame

    def set_video(self, key: str, on: bool) -> None:
        source = self.sources.get(key)
        if source is not None:
            source.video_on = on

    def feature(self, key: str | None) -> None:
        self.featured = key

    def rects(self) -> dict[str, Rect]:
        with self._lock:
            keys = list(self.sources)
        return layout(keys, self.featured, self.width, self.height)

    # --- media thread side ------------------------------------------------------------------------
    def _font(self, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
        if size not in self._fonts:
            try:
                self._fonts[size] = ImageFont.truetype(str(FONT), size)
            except OSError:
                self._fonts[size] = ImageFont.load_default()
        return self._fonts[size]

    def _label(self, source: Source, width: int) -> Image.Image:
        """The name, white on black, as a luma image (cached per tile width)."""
        size = max(12, min(26, width // 18))
        if source.label_cache is None or source.label_cache[0] != width:
            font = self._font(size)
            text_w = int(font.getlength(source.label)) if hasattr(font, "getlength") else 8 * len(source.label)
            img = Image.new("L", (min(width, text_w + size) // 2 * 2, (size + size // 2) // 2 * 2), 16)
            ImageDraw.Draw(img).text((size // 2, size // 8), source.label, font=font, fill=235)
            source.label_cache = (width, img)
        return source.label_cache[1]

    def _waiting_note(self) -> Image.Image:
        if self._waiting is None:
            size = max(14, self.height // 24)
            font = self._font(size)
            img = Image.new("L", (self.width * 3 // 4, size * 2), BACKGROUND_Y)
            draw = ImageDraw.Draw(img)
            text_w = int(font.getlength(WAITING)) if hasattr(font, "getlength") else 8 * len(WAITING)
            draw.text(((img.width - text_w) // 2, size // 2), WAITING, font=font, fill=200)
            self._waiting = img
        return self._waiting

    def compose(self) -> av.VideoFrame:
        with self._lock:
            sources = dict(self.sources)
        w2, h2 = self.width // 2, self.height // 2
        y_plane = Image.new("L", (self.width, self.height), BACKGROUND_Y)
        u_plane, v_plane = Image.new("L", (w2, h2), NEUTRAL), Image.new("L", (w2, h2), NEUTRAL)
        if not sources:  # viewers only: say so instead of a black picture
            note = self._waiting_note()
            y_plane.paste(note, ((self.width - note.width) // 2 // 2 * 2, (self.height - note.height) // 2 // 2 * 2))
        for key, rect in layout(list(sources), self.featured, self.width, self.height).items():
            source = sources[key]
            x, y, w, h = rect
            frame = source.frame if source.video_on else None
            ix, iy, iw, ih = x + 2, y + 2, w - 4, h - 4
            if frame is None:
                y_plane.paste(PLACEHOLDER_Y, (ix, iy, ix + iw, iy + ih))
            else:
                fx, fy, fw, fh = fit(frame.width, frame.height, (ix, iy, iw, ih))
                scaled = source.reformatter.reformat(frame, width=fw, height=fh, format="yuv420p")
                y_plane.paste(_plane(scaled, 0, fw, fh), (fx, fy))
                u_plane.paste(_plane(scaled, 1, fw // 2, fh // 2), (fx // 2, fy // 2))
                v_plane.paste(_plane(scaled, 2, fw // 2, fh // 2), (fx // 2, fy // 2))
            label = self._label(source, iw)
            lx, ly = ix, y + h - 2 - label.height
            y_plane.paste(label, (lx, ly))
            box = (lx // 2, ly // 2, (lx + label.width) // 2, (ly + label.height) // 2)
            u_plane.paste(NEUTRAL, box)
            v_plane.paste(NEUTRAL, box)
        return _fill(av.VideoFrame(self.width, self.height, "yuv420p"), (y_plane, u_plane, v_plane))
