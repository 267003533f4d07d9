"""Benchmark: speech and camera frames through the real voice door (`WS /chat/ws`).

    .venv/bin/python bench/speech.py [--runs 5] [--no-write]

A real uvicorn server (SQLite, offline model, the bundled Whisper tiny.en, RapidOCR) runs in this
process; a `websockets` client sends espeak-ng speech (sox-resampled WAV, padded to 3 s and 10 s)
as one utterance and measures the time from sending `speech_end` to the final `transcript`. The
baseline in the same run is the clip's own duration: real-time factor = transcription time /
audio seconds (below 1: faster than real time). Camera frames (720x300 JPEG, three printed lines)
are timed from `camera_frame` to `camera_analysis`. Partial transcripts are off, so nothing else
competes with the final one. Medians of `--runs` runs after one warm-up (which also loads the
models; its time is reported). The section between the speech markers of docs/benchmarks.md is
rewritten; the rest of the file is left alone.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.agent_turn import running  # noqa: E402
from frontdesk.api.app import create_app  # noqa: E402
from frontdesk.config import Settings  # noqa: E402
from frontdesk.storage.demo import DEMO_EMAIL, DEMO_PASSWORD  # noqa: E402
from frontdesk.tools.media.audio import decode_audio, seconds  # noqa: E402
from tests.media_samples import speech_wav, text_image  # noqa: E402

START, END = "<!-- speech:start -->", "<!-- speech:end -->"
CLIPS = {
    "3 s": ("How many contacts are tagged VIP?", 3.0),
    "10 s": (
        "Show me the leads that came from the website last month, and tell me which of them are "
        "qualified and who follows up with each one.",
        10.0,
    ),
}


def _until(ws: ClientConnection, kind: str) -> dict[str, Any]:
    while True:
        msg = json.loads(ws.recv(timeout=300))
        if msg["type"] == "error":
            raise RuntimeError(msg["detail"])
        if msg["type"] == kind and (kind != "transcript" or msg["is_final"]):
            return msg


def utterance(ws: ClientConnection, wav: bytes) -> tuple[float, dict[str, Any]]:
    """Seconds from `speech_end` to the final transcript, and that transcript."""
    ws.send(json.dumps({"type": "speech_start", "format": "wav"}))
    for i in range(0, len(wav), 32_000):
        ws.send(json.dumps({"type": "speech_audio", "data": base64.b64encode(wav[i : i + 32_000]).decode()}))
    sent = time.perf_counter()
    ws.send(json.dumps({"type": "speech_end"}))
    final = _until(ws, "transcript")
    elapsed = time.perf_counter() - sent
    _until(ws, "complete")  # the turn it starts, so the next clip starts on a quiet server
    return elapsed, final


def frame(ws: ClientConnection, jpeg: bytes) -> float:
    sent = time.perf_counter()
    ws.send(json.dumps({"type": "camera_frame", "data": base64.b64encode(jpeg).decode()}))
    _until(ws, "camera_analysis")
    elapsed = time.perf_counter() - sent
    time.sleep(0.5)  # stay under the 2 frames a second limit
    return elapsed


def bench(runs: int, data_dir: Path) -> dict[str, Any]:
    settings = Settings(
        data_dir=data_dir,
        secret_key="bench-secret-key-with-enough-length-0123456789",
        speech_partial_seconds=0,
        chat_rate_limit_per_minute=0,
        demo_contacts=300,
    )
    results: dict[str, Any] = {"clips": {}}
    with running(create_app(settings)) as base:
        with httpx.Client(base_url=base, timeout=60) as c:  # the demo account: its tags bias Whisper
            token = c.post("/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD}).json()
        url = base.replace("http://", "ws://") + f"/chat/ws?token={token['access_token']}"
        with connect(url, max_size=None) as ws:
            first = time.perf_counter()
            utterance(ws, speech_wav("Hello.", pad_seconds=1.0))
            results["warmup_s"] = time.perf_counter() - first
            for name, (text, length) in CLIPS.items():
                wav = speech_wav(text, pad_seconds=length)
                audio_s = seconds(decode_audio(wav))
                times, transcript = [], ""
                for _ in range(runs):
                    elapsed, final = utterance(ws, wav)
                    times.append(elapsed)
                    transcript = final["text"]
                median = statistics.median(times)
                results["clips"][name] = {
                    "audio_s": audio_s,
                    "median_s": median,
                    "max_s": max(times),
                    "rtf": median / audio_s,
                    "transcript": transcript,
                }
            jpeg = text_image(["INVOICE 4471", "Payment due in 30 days", "Total: 1,250 EUR"], fmt="JPEG")
            frame(ws, jpeg)  # loads the OCR models
            frames = [frame(ws, jpeg) for _ in range(runs)]
            results["ocr_median_s"] = statistics.median(frames)
            results["ocr_max_s"] = max(frames)
    return results


def report(r: dict[str, Any], runs: int) -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    rows = [
        f"| {name} | {c['audio_s']:.2f} s | {c['median_s'] * 1000:.0f} ms | {c['max_s'] * 1000:.0f} ms | "
        f"{c['rtf']:.2f} | {c['transcript'][:70]} |"
        for name, c in r["clips"].items()
    ]
    return "\n".join(
        [
            START,
            "## Speech and camera frames over `WS /chat/ws` (`bench/speech.py`)",
            "",
            f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()} with "
            f"{os.cpu_count()} cores (load average {load:.1f} when it finished), CPython "
            f"{platform.python_version()}, faster-whisper on the bundled tiny.en (int8, beam 5, 2 threads), "
            f"RapidOCR (det side 960), one real uvicorn server and one WebSocket client in this process, "
            f"the demo account (its tags, companies and contacts in Whisper's prompt). "
            f"Time = `speech_end` sent -> final `transcript` received (decode + transcription), median of "
            f"{runs} runs; the baseline is the clip's own duration: RTF = time / audio length. Partial "
            f"transcripts were off. The first utterance (loads the model) took {r['warmup_s']:.1f} s.",
            "",
            "| clip | audio | speech_end -> final (median) | max | real-time factor | transcript |",
            "|---|---|---|---|---|---|",
            *rows,
            "",
            f"Camera frame (720x300 JPEG, 3 printed lines) -> `camera_analysis`: median "
            f"{r['ocr_median_s'] * 1000:.0f} ms, max {r['ocr_max_s'] * 1000:.0f} ms per frame.",
            "",
            "Target on 2 cores: the final transcript within 1 s of `speech_end` for a 3 s clip. Absolute "
            "times move with the load on the machine; the RTF within one run is the comparison.",
            "Run it again with `.venv/bin/python bench/speech.py` (`--runs N`, `--no-write`).",
            END,
        ]
    )


def write(section: str, path: Path) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n\n"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = head + section + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = bench(args.runs, Path(tmp))
    section = report(results, args.runs)
    print(section)
    if not args.no_write:
        write(section, ROOT / "docs" / "benchmarks.md")


if __name__ == "__main__":
    main()
