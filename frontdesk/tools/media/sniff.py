"""What a file is, from its first bytes (the declared type and name are hints at most).

Accepted, as Mezzofy's `/files/upload` lists them: `image/*`, `video/*`, `audio/*`, PDF, the OOXML
formats (DOCX, XLSX, PPTX), plain text and CSV. Binary formats are recognised by their magic
numbers (`filetype`); a file with none is text when it is UTF-8 (or 8-bit) without NUL or other
control bytes, and CSV when its name or declared type says so. Anything else is `None` (415).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Kind = Literal["image", "video", "audio", "document"]
OOXML = "application/vnd.openxmlformats-officedocument."
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_FIXES = {
    "audio/x-wav": "audio/wav",
    "audio/x-flac": "audio/flac",
    "image/x-icon": "image/vnd.microsoft.icon",
}
_AUDIO_WEBM = {"video/webm", "video/x-matroska"}  # a container; whether it holds video is not sniffed


@dataclass(frozen=True, slots=True)
class Sniffed:
    mime: str
    kind: Kind
    extension: str

    @property
    def file_type(self) -> str:
        """The seed's short `file_type` (pdf, png, docx, txt, csv, ...)."""
        return self.extension


def _text(head: bytes, filename: str, declared: str) -> Sniffed | None:
    if _CONTROL.search(head):
        return None
    csv = filename.lower().endswith(".csv") or declared.split(";")[0].strip().lower() == "text/csv"
    return Sniffed("text/csv", "document", "csv") if csv else Sniffed("text/plain", "document", "txt")


def sniff(data: bytes, filename: str = "", declared: str = "") -> Sniffed | None:
    """The accepted type of `data`, or None when it is not one we take."""
    import filetype

    head = data[:8192]
    if not head:
        return None
    guess = filetype.guess(head)
    if guess is None:
        return _text(head, filename, declared)
    mime = _FIXES.get(guess.mime, guess.mime)
    for kind in ("image", "video", "audio"):
        if mime.startswith(f"{kind}/"):
            return Sniffed(mime, kind, guess.extension)  # type: ignore[arg-type]
    if mime == "application/pdf" or mime.startswith(OOXML):
        return Sniffed(mime, "document", guess.extension)
    return None


def may_hold_audio(sniffed: Sniffed) -> bool:
    return sniffed.kind in ("audio", "video") or sniffed.mime in _AUDIO_WEBM
