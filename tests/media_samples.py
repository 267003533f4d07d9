"""Real media for the voice and media tests: speech from espeak-ng (resampled by sox), WebM/Opus
encoded with PyAV as a browser's MediaRecorder sends it, pictures and documents made with Pillow,
python-docx and a hand-written PDF. Tests that need espeak-ng or sox skip when they are missing
(`.ci/run` installs them)."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

HAVE_SPEECH_TOOLS = bool(shutil.which("espeak-ng") and shutil.which("sox"))
needs_speech_tools = pytest.mark.skipif(not HAVE_SPEECH_TOOLS, reason="needs espeak-ng and sox")


def speech_wav(text: str, rate: int = 16_000, pad_seconds: float = 0.0) -> bytes:
    """`text` spoken by espeak-ng, as a mono 16-bit WAV at `rate` (optionally padded with silence
    up to a length, for clips of a given duration)."""
    with tempfile.TemporaryDirectory() as tmp:
        raw, out = Path(tmp) / "raw.wav", Path(tmp) / "out.wav"
        subprocess.run(["espeak-ng", "-w", str(raw), text], check=True, capture_output=True)
        effects = ["pad", "0.2", "0.2"]
        subprocess.run(
            ["sox", str(raw), "-r", str(rate), "-c", "1", "-b", "16", str(out), *effects],
            check=True,
            capture_output=True,
        )
        if pad_seconds:
            padded = Path(tmp) / "padded.wav"
            length = float(subprocess.run(["soxi", "-D", str(out)], capture_output=True, text=True).stdout)
            extra = max(pad_seconds - length, 0.0)
            subprocess.run(["sox", str(out), str(padded), "pad", "0", f"{extra:.3f}"], check=True)
            out = padded
        return out.read_bytes()


def pcm16(wav: bytes) -> bytes:
    """The raw samples of a 16-bit mono WAV (its data chunk)."""
    import wave

    with wave.open(io.BytesIO(wav)) as w:
        return w.readframes(w.getnframes())


def webm_opus(wav: bytes) -> bytes:
    """The WAV re-encoded as WebM/Opus at 48 kHz (what Chrome's MediaRecorder produces)."""
    import av

    out = io.BytesIO()
    with av.open(io.BytesIO(wav)) as source, av.open(out, mode="w", format="webm") as target:
        stream = target.add_stream("libopus", rate=48_000, layout="mono")
        resampler = av.AudioResampler(format="s16", layout="mono", rate=48_000)
        for frame in source.decode(audio=0):
            for resampled in resampler.resample(frame):
                for packet in stream.encode(resampled):
                    target.mux(packet)
        for packet in stream.encode(None):
            target.mux(packet)
    return out.getvalue()


def webm_video(wav: bytes, fps: int = 10) -> bytes:
    """A real video: a VP8 picture track (changing grey frames) and the WAV as an Opus track, in WebM
    (what a phone or a screen recorder uploads); only its audio track has words in it."""
    import av
    import numpy as np

    out = io.BytesIO()
    with av.open(io.BytesIO(wav)) as source, av.open(out, mode="w", format="webm") as target:
        video = target.add_stream("libvpx", rate=fps)
        video.width, video.height, video.pix_fmt = 160, 120, "yuv420p"
        audio = target.add_stream("libopus", rate=48_000, layout="mono")
        resampler = av.AudioResampler(format="s16", layout="mono", rate=48_000)
        frames = list(source.decode(audio=0))
        seconds = sum(f.samples for f in frames) / frames[0].sample_rate
        for i in range(int(seconds * fps) + 1):
            picture = np.full((120, 160, 3), (i * 8) % 255, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24").reformat(format="yuv420p")
            frame.pts = i
            for packet in video.encode(frame):
                target.mux(packet)
        for packet in video.encode(None):
            target.mux(packet)
        for frame in frames:
            for resampled in resampler.resample(frame):
                for packet in audio.encode(resampled):
                    target.mux(packet)
        for packet in audio.encode(None):
            target.mux(packet)
    return out.getvalue()


def text_image(lines: list[str], fmt: str = "PNG", size: tuple[int, int] = (720, 300)) -> bytes:
    """Black text on white, one line per entry, in Pillow's built-in scalable font."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=34)
    for i, line in enumerate(lines):
        draw.text((24, 24 + i * 60), line, fill="black", font=font)
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def docx_file(paragraphs: list[str]) -> bytes:
    import docx

    document = docx.Document()
    for p in paragraphs:
        document.add_paragraph(p)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def pdf_file(lines: list[str]) -> bytes:
    """A one-page PDF whose text layer holds `lines` (Helvetica), written by hand."""
    text = "\n".join(
        f"BT /F1 12 Tf 72 {720 - 18 * i} Td ({line.replace('(', '[').replace(')', ']')}) Tj ET"
        for i, line in enumerate(lines)
    ).encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
