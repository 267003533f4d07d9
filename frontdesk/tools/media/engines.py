"""`MediaEngines`: the speech and image engines a server holds, and the worker threads they use.

Built once by the app (`MediaEngines.local(settings)`: faster-whisper + RapidOCR, nothing loaded
until first use); tests of the code around them build it with fakes. Three single-thread pools
keep the kinds of work apart: speech (one transcription at a time, using `speech_cpu_threads`
inside CTranslate2), OCR, and the rest (decoding audio, reading documents and pages), so a long
transcription never queues a camera frame or a PDF behind it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from frontdesk.config import Settings
from frontdesk.tools.media.ocr import ImageReader, RapidOcrReader
from frontdesk.tools.media.transcribe import Transcriber, WhisperTranscriber

T = TypeVar("T")


def _pool(name: str) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"frontdesk-{name}")


@dataclass(eq=False)
class MediaEngines:
    transcriber: Transcriber
    reader: ImageReader
    work: ThreadPoolExecutor = field(default_factory=lambda: _pool("media"))
    pools: tuple[ThreadPoolExecutor, ...] = ()

    @classmethod
    def local(cls, settings: Settings) -> MediaEngines:
        speech, ocr = _pool("speech"), _pool("ocr")
        transcriber = WhisperTranscriber(
            settings.speech_model,
            speech,
            compute_type=settings.speech_compute_type,
            cpu_threads=settings.speech_cpu_threads,
            beam_size=settings.speech_beam_size,
        )
        reader = RapidOcrReader(ocr, threads=settings.speech_cpu_threads, max_side=settings.ocr_max_side)
        return cls(transcriber, reader, pools=(speech, ocr))

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)` in the media worker thread (decoding, document and page parsing)."""
        return await asyncio.get_running_loop().run_in_executor(self.work, fn, *args)

    async def aclose(self) -> None:
        """Stop the worker threads (work already running finishes; queued work is dropped)."""
        for pool in (self.work, *self.pools):
            pool.shutdown(wait=False, cancel_futures=True)
