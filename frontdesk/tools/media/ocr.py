"""`ImageReader`: a picture's bytes -> the text printed in it, top to bottom.

`open_image` decodes with Pillow (JPEG, PNG, WebP, GIF, BMP, ...), refusing what is not an image
and pictures over the pixel cap (decompression bombs) with `Invalid`. `RapidOcrReader` runs
rapidocr-onnxruntime (PP-OCR det/cls/rec ONNX models inside the wheel) in a worker thread; the
engine is built once, on first use. `FakeImageReader` returns set text, for tests of the code
around it.
"""

from __future__ import annotations

import asyncio
import io
import threading
import time
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from frontdesk.errors import Invalid

MAX_PIXELS = 40_000_000


@dataclass(frozen=True, slots=True)
class ImageText:
    lines: tuple[str, ...]
    width: int
    height: int
    format: str  # Pillow's name: JPEG, PNG, ...
    elapsed_seconds: float = 0.0

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def description(self) -> str:
        """What can be said about the picture without a vision model."""
        found = f"{len(self.lines)} line{'s' * (len(self.lines) != 1)} of text" if self.lines else "no text"
        return f"A {self.width}x{self.height} {self.format} image with {found} read by OCR."


class ImageReader(Protocol):
    async def read(self, image: bytes) -> ImageText: ...


def open_image(data: bytes, max_pixels: int = MAX_PIXELS) -> Any:
    """A decoded Pillow image (fully loaded), or `Invalid` naming why not."""
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))
        width, height = image.size
        if width * height > max_pixels:
            raise Invalid(f"The image is {width}x{height}; at most {max_pixels:,} pixels are read")
        image.load()
    except Invalid:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as e:
        raise Invalid(f"The image could not be decoded ({type(e).__name__})") from e
    return image


def _lines(boxes: list[tuple[float, float, float, str]]) -> tuple[str, ...]:
    """Group OCR boxes (top, bottom, left, text) into reading lines: top to bottom, left to right."""
    rows: list[list[tuple[float, float, float, str]]] = []
    for box in sorted(boxes):
        top, bottom = box[0], box[1]
        row = rows[-1] if rows else None
        if row is not None:
            middle = (row[0][0] + row[0][1]) / 2
            if top <= middle <= bottom:
                row.append(box)
                continue
        rows.append([box])
    return tuple(" ".join(b[3] for b in sorted(row, key=lambda b: b[2])) for row in rows)


class RapidOcrReader:
    def __init__(
        self, executor: Executor, *, threads: int = 2, max_side: int = 960, max_pixels: int = MAX_PIXELS
    ) -> None:
        self.executor = executor
        self.threads = threads
        self.max_side = max_side  # text detection runs on the picture scaled to at most this side
        self.max_pixels = max_pixels
        self._engine: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._engine is None:
                from rapidocr_onnxruntime import RapidOCR

                self._engine = RapidOCR(
                    intra_op_num_threads=self.threads,
                    inter_op_num_threads=1,
                    det_limit_type="max",  # the package default scales the short side *up* to 736
                    det_limit_side_len=self.max_side,
                )
            return self._engine

    def _run(self, data: bytes) -> ImageText:
        image = open_image(data, self.max_pixels)
        engine = self._load()
        started = time.perf_counter()
        bgr = np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1])
        found, _ = engine(bgr)
        boxes = []
        for points, text, _score in found or []:
            ys = [p[1] for p in points]
            xs = [p[0] for p in points]
            if str(text).strip():
                boxes.append((float(min(ys)), float(max(ys)), float(min(xs)), str(text).strip()))
        return ImageText(
            _lines(boxes), image.width, image.height, image.format or "image", time.perf_counter() - started
        )

    async def warm(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self.executor, self._load)

    async def read(self, image: bytes) -> ImageText:
        return await asyncio.get_running_loop().run_in_executor(self.executor, self._run, image)


class FakeImageReader:
    """Decodes the picture for real (so bad bytes still fail) and answers with set lines."""

    def __init__(self, lines: tuple[str, ...] = ()) -> None:
        self.lines = lines

    async def read(self, image: bytes) -> ImageText:
        decoded = open_image(image)
        return ImageText(self.lines, decoded.width, decoded.height, decoded.format or "image")
