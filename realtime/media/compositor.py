"""The compositor: the latest decoded picture of every source, laid out with name labels on one canvas.

`update()` is called on the event loop with each decoded frame (it only swaps a reference); `compose()`
runs in the room's media thread. One VideoReformatter per tile keeps its scaler context between frames."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Hashable

import av
from av.video.reformatter import VideoReformatter
from PIL import Image, ImageDraw, ImageFont

from realtime.media.layout import Rect, fit, layout

FONT = Path(__file__).resolve().parents[2] / "minutes" / "fonts" / "LiberationSerif-Bold.ttf"
BACKGROUND = (24, 28, 36)
PLACEHOLDER = (58, 64, 78)


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
        self.sources: dict[Hashable, Source] = {}
        self.featured: Hashable | None = None
        self._lock = threading.Lock()
        self._fonts: dict[int, ImageFont.FreeTypeFont | ImageFont.ImageFont] = {}

    # --- event loop side --------------------------------------------------------------------------
    def add(self, key: Hashable, label: str) -> None:
        with self._lock:
            self.sources.setdefault(key, Source(label))

    def remove(self, key: Hashable) -> None:
        with self._lock:
            self.sources.pop(key, None)

    def update(self, key: Hashable, frame: av.VideoFrame) -> None:
        source = self.sources.get(key)
        if source is not None:
            source.frame = frame

    def set_video(self, key: Hashable, on: bool) -> None:
        source = self.sources.get(key)
        if source is not None:
            source.video_on = on

    def feature(self, key: Hashable | None) -> None:
        self.featured = key

    def rects(self) -> dict[Hashable, Rect]:
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
        size = max(12, min(26, width // 18))
        if source.label_cache is None or source.label_cache[0] != width:
            font = self._font(size)
            text_w = int(font.getlength(source.label)) if hasattr(font, "getlength") else 8 * len(source.label)
            img = Image.new("RGB", (min(width, text_w + size), size + size // 2), (0, 0, 0))
            ImageDraw.Draw(img).text((size // 2, size // 8), source.label, font=font, fill=(255, 255, 255))
            source.label_cache = (width, img)
        return source.label_cache[1]

    def compose(self) -> av.VideoFrame:
        with self._lock:
            sources = dict(self.sources)
        canvas = Image.new("RGB", (self.width, self.height), BACKGROUND)
        for key, rect in layout(list(sources), self.featured, self.width, self.height).items():
            source = sources[key]
            x, y, w, h = rect
            frame = source.frame if source.video_on else None
            inner = (x + 2, y + 2, w - 4, h - 4)
            if frame is None:
                canvas.paste(PLACEHOLDER, (inner[0], inner[1], inner[0] + inner[2], inner[1] + inner[3]))
            else:
                fx, fy, fw, fh = fit(frame.width, frame.height, inner)
                scaled = source.reformatter.reformat(frame, width=fw, height=fh, format="rgb24")
                canvas.paste(scaled.to_image(), (fx, fy))
            label = self._label(source, w - 4)
            canvas.paste(label, (x + 2, y + h - 2 - label.height))
        return av.VideoFrame.from_image(canvas)
