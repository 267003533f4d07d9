// Microphone (hold to talk over WS /chat/ws), camera snapshot and file attach (POST
// /chat/send-media). Shown only when the server has the media routes (its OpenAPI document lists
// /chat/send-media; the WebSocket is not in OpenAPI, so the microphone also hides itself when the
// socket cannot be opened) and the browser has the needed APIs.

import { $ } from "./dom.js";
import { errorFrom } from "./api.js";

const RECORDER_TYPE = "audio/webm;codecs=opus";

function base64(buffer) {
  const bytes = new Uint8Array(buffer);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function inputType(file) {
  const kind = (file.type || "").split("/")[0];
  return ["image", "video", "audio"].includes(kind) ? kind : "file";
}

export async function mediaRoutes() {
  try {
    const response = await fetch("/openapi.json", { credentials: "omit" });
    if (!response.ok) return new Set();
    return new Set(Object.keys((await response.json()).paths ?? {}));
  } catch {
    return new Set();
  }
}

export class MediaControls {
  /** `chat` gives: conversationId(), ensureConversation(), showUser(text), placeholder(text) ->
   * AssistantMessage, answered(sessionId), setError(text). */
  constructor(api, chat) {
    this.api = api;
    this.chat = chat;
    this.socket = null;
    this.recorder = null;
  }

  setup(paths) {
    const media = paths.has("/chat/send-media");
    const canRecord = typeof MediaRecorder !== "undefined" && MediaRecorder.isTypeSupported?.(RECORDER_TYPE);
    const canCamera = Boolean(navigator.mediaDevices?.getUserMedia);
    $("attach-button").hidden = !media;
    $("camera-button").hidden = !(media && canCamera);
    $("mic-button").hidden = !(media && canRecord && canCamera);
    $("media-controls").hidden = !media;
    if (!media) return;
    $("attach-button").addEventListener("click", () => $("attach-input").click());
    $("attach-input").addEventListener("change", (e) => {
      const [file] = e.target.files;
      e.target.value = "";
      if (file) this.sendMedia(file, inputType(file));
    });
    this.#wireCamera();
    this.#wireMicrophone();
  }

  /** POST /chat/send-media: the file, its kind, the composer's text as the question. */
  async sendMedia(blob, kind, filename = blob.name || "upload") {
    const question = $("composer-input").value.trim() || (kind === "image" ? "What does this show?" : "What is in this file?");
    $("composer-input").value = "";
    const sessionId = await this.chat.ensureConversation();
    this.chat.showUser(`Attached: ${filename}\n${question}`);
    const message = this.chat.placeholder(kind === "audio" ? "Listening…" : "Reading the file…");
    const form = new FormData();
    form.append("media_file", blob, filename);
    form.append("input_type", kind);
    form.append("message", question);
    form.append("session_id", sessionId);
    try {
      const response = await this.api.fetch("/chat/send-media", { method: "POST", body: form });
      if (!response.ok) throw await errorFrom(response);
      const body = await response.json();
      message.finish(body.message, body.agent_used);
      this.chat.answered(body.session_id ?? sessionId);
    } catch (error) {
      message.fail(error.status === 413 ? "That file is too large." : error.status === 415 ? "That kind of file is not supported." : error.message);
    }
  }

  #wireCamera() {
    const dialog = $("camera-dialog");
    const video = $("camera-video");
    let stream = null;
    const close = () => {
      stream?.getTracks().forEach((t) => t.stop());
      stream = null;
      if (dialog.open) dialog.close();
    };
    dialog.addEventListener("close", close);
    $("camera-cancel").addEventListener("click", close);
    $("camera-button").addEventListener("click", async () => {
      try {
        stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
      } catch (error) {
        this.chat.setError(`The camera is not available: ${error.message}`);
        return;
      }
      video.srcObject = stream;
      dialog.showModal();
      $("camera-question").focus();
    });
    $("camera-snap").addEventListener("click", () => {
      const canvas = document.createElement("canvas");
      canvas.width = video.videoWidth || 1280;
      canvas.height = video.videoHeight || 720;
      canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
      const question = $("camera-question").value.trim();
      close();
      canvas.toBlob((blob) => {
        if (!blob) return;
        if (question) $("composer-input").value = question;
        this.sendMedia(blob, "image", "photo.jpg");
      }, "image/jpeg", 0.9);
    });
  }

  #wireMicrophone() {
    const button = $("mic-button");
    const start = (e) => {
      e.preventDefault();
      if (!this.recorder) this.#startTalking();
    };
    const stop = (e) => {
      e?.preventDefault();
      if (this.recorder) this.#stopTalking();
    };
    button.addEventListener("pointerdown", start);
    button.addEventListener("pointerup", stop);
    button.addEventListener("pointerleave", stop);
    button.addEventListener("pointercancel", stop);
    button.addEventListener("keydown", (e) => {
      if ((e.key === " " || e.key === "Enter") && !e.repeat) start(e);
    });
    button.addEventListener("keyup", (e) => {
      if (e.key === " " || e.key === "Enter") stop(e);
    });
  }

  async #socket() {
    if (this.socket?.readyState === WebSocket.OPEN) return this.socket;
    await this.api.ensureFresh();
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const url = `${scheme}://${location.host}/chat/ws?token=${encodeURIComponent(this.api.accessToken)}`;
    const socket = new WebSocket(url);
    await new Promise((resolve, reject) => {
      socket.addEventListener("open", resolve, { once: true });
      socket.addEventListener("error", () => reject(new Error("voice is not available on this server")), { once: true });
    });
    socket.addEventListener("message", (e) => this.#onSocketMessage(e));
    socket.addEventListener("close", () => (this.socket = null));
    this.socket = socket;
    return socket;
  }

  async #startTalking() {
    const button = $("mic-button");
    let socket;
    let stream;
    try {
      [socket, stream] = await Promise.all([this.#socket(), navigator.mediaDevices.getUserMedia({ audio: true })]);
    } catch (error) {
      this.chat.setError(`Cannot start the microphone: ${error.message}`);
      if (/not available/.test(error.message)) button.hidden = true;
      return;
    }
    const sessionId = await this.chat.ensureConversation();
    const recorder = new MediaRecorder(stream, { mimeType: RECORDER_TYPE });
    this.recorder = recorder;
    this.answer = null;
    // One chain keeps the messages in order: a chunk's bytes are read asynchronously, and
    // speech_end must follow the last chunk.
    let queue = Promise.resolve();
    const sendInOrder = (message) => {
      queue = queue.then(async () => socket.send(JSON.stringify(await message))).catch((e) => this.chat.setError(e.message));
    };
    sendInOrder({ type: "speech_start", format: "webm", session_id: sessionId });
    recorder.addEventListener("dataavailable", (e) => {
      if (e.data.size) sendInOrder(e.data.arrayBuffer().then((bytes) => ({ type: "speech_audio", data: base64(bytes) })));
    });
    recorder.addEventListener("stop", () => {
      stream.getTracks().forEach((t) => t.stop());
      sendInOrder({ type: "speech_end" });
    });
    recorder.start(250);
    button.setAttribute("aria-pressed", "true");
    button.classList.add("recording");
    this.#transcript("Listening…");
  }

  #stopTalking() {
    this.recorder.stop();
    this.recorder = null;
    const button = $("mic-button");
    button.setAttribute("aria-pressed", "false");
    button.classList.remove("recording");
  }

  #transcript(text) {
    const line = $("transcript");
    line.textContent = text;
    line.hidden = !text;
  }

  #onSocketMessage(e) {
    let msg;
    try {
      msg = JSON.parse(e.data);
    } catch {
      return;
    }
    switch (msg.type) {
      case "transcript":
        this.#transcript(msg.text ?? "");
        if (msg.is_final && msg.text) {
          this.chat.showUser(msg.text);
          this.answer = this.chat.placeholder("Thinking…");
          this.#transcript("");
        }
        break;
      case "delta":
      case "content":
        this.answer?.appendDelta(msg.delta ?? msg.text ?? "");
        break;
      case "status":
        this.answer?.status(msg.message ?? "");
        break;
      case "complete": {
        const r = msg.response ?? {};
        this.answer?.finish(r.message, r.agent_used);
        this.answer = null;
        this.chat.answered(r.session_id);
        break;
      }
      case "error":
        this.#transcript("");
        if (this.answer) this.answer.fail(msg.detail ?? "Something went wrong.");
        else this.chat.setError(msg.detail ?? "Something went wrong.");
        this.answer = null;
        break;
      default:
        break;
    }
  }
}
