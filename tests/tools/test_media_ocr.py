"""Pictures in: Pillow decoding with its refusals, and the real RapidOCR reader."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image

from frontdesk.errors import Invalid
from frontdesk.tools.media.ocr import FakeImageReader, RapidOcrReader, _lines, open_image
from tests.media_samples import text_image


async def test_rapidocr_reads_printed_lines_top_to_bottom() -> None:
    reader = RapidOcrReader(ThreadPoolExecutor(1))
    found = await reader.read(text_image(["Payment due in 30 days", "Total: 1,250 EUR"], fmt="JPEG"))
    assert len(found.lines) == 2 and found.lines[0] == "Payment due in 30 days"
    assert "1,250" in found.lines[1] and found.lines[1].startswith("Total")
    assert (found.width, found.height, found.format) == (720, 300, "JPEG")
    assert found.description() == "A 720x300 JPEG image with 2 lines of text read by OCR."
    blank = await reader.read(text_image([], size=(200, 100)))
    assert blank.lines == () and "no text" in blank.description()


def test_what_is_not_a_picture_is_invalid() -> None:
    for data in (b"", b"GIF89a garbage", b"\x89PNG\r\n\x1a\n" + b"\x00" * 20):
        with pytest.raises(Invalid, match="could not be decoded"):
            open_image(data)
    huge = io.BytesIO()
    Image.new("1", (8000, 8000)).save(huge, "PNG")  # small file, 64 million pixels
    with pytest.raises(Invalid, match="pixels"):
        open_image(huge.getvalue())


def test_boxes_group_into_reading_lines() -> None:
    boxes = [(52.0, 70.0, 300.0, "world"), (50.0, 72.0, 10.0, "hello"), (100.0, 120.0, 12.0, "next line")]
    assert _lines(boxes) == ("hello world", "next line")


async def test_the_fake_reader_still_decodes() -> None:
    fake = FakeImageReader(("a line",))
    assert (await fake.read(text_image(["x"], size=(50, 40)))).text == "a line"
    with pytest.raises(Invalid):
        await fake.read(b"nope")
