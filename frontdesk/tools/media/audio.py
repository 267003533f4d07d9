"""Audio in, as 16 kHz mono float32 samples (what Whisper takes).

Containers (WAV, WebM/Opus as a browser's MediaRecorder sends, Ogg, MP3, MP4/M4A, a video file's
audio track) are decoded with PyAV; `pcm16` is raw 16-bit little-endian mono at a given rate.
These are CPU work: callers run them in a worker thread. Undecodable input raises `Invalid`.
"""

from __future__ import annotations

import io
from typing import Literal

import numpy as np

from frontdesk.errors import Invalid

SAMPLE_RATE = 16_000
AudioFormat = Literal["wav", "webm", "ogg", "mp3", "pcm16"]
FORMATS: tuple[str, ...] = ("wav", "webm", "ogg", "mp3", "pcm16")
# The most bytes one second of audio may take in any accepted form (48 kHz stereo 16-bit PCM):
# what an utterance's buffer is capped by before it is decoded.
MAX_BYTES_PER_SECOND = 48_000 * 2 * 2


def seconds(samples: np.ndarray) -> float:
    return float(len(samples)) / SAMPLE_RATE


def decode_pcm16(data: bytes, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Raw 16-bit little-endian mono samples at `sample_rate` -> 16 kHz float32."""
    if not 8_000 <= sample_rate <= 96_000:
        raise Invalid(f"sample_rate must be between 8000 and 96000 Hz, not {sample_rate}")
    if len(data) % 2:
        raise Invalid("pcm16 audio must have an even number of bytes (16-bit samples)")
    samples = np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0
    if sample_rate == SAMPLE_RATE or not len(samples):
        return samples
    duration = len(samples) / sample_rate
    target = np.arange(int(duration * SAMPLE_RATE)) / SAMPLE_RATE
    return np.interp(target, np.arange(len(samples)) / sample_rate, samples).astype(np.float32)


def decode_container(data: bytes) -> np.ndarray:
    """The first audio stream of a container (any format FFmpeg reads) -> 16 kHz mono float32."""
    import av  # PyAV: imported here, so the server starts without loading FFmpeg

    chunks: list[np.ndarray] = []
    try:
        with av.open(io.BytesIO(data), mode="r", metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise Invalid("The media has no audio track")
            resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
            for frame in container.decode(audio=0):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
            for out in resampler.resample(None):  # flush
                chunks.append(out.to_ndarray().reshape(-1))
    except Invalid:
        raise
    except (av.FFmpegError, ValueError, OSError) as e:
        raise Invalid(f"The audio could not be decoded ({type(e).__name__}: {e})") from e
    if not chunks:
        raise Invalid("The audio holds no samples")
    return np.concatenate(chunks).astype(np.float32) / 32768.0


def decode_audio(data: bytes, fmt: str = "wav", sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Decode `data` given its declared format (`pcm16` is raw; every other is probed by FFmpeg)."""
    if not data:
        raise Invalid("No audio was sent")
    if fmt == "pcm16":
        return decode_pcm16(data, sample_rate)
    if fmt not in FORMATS:
        raise Invalid(f"Unknown audio format {fmt!r}; use one of {', '.join(FORMATS)}")
    return decode_container(data)
