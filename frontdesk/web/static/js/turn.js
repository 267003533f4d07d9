// One agent turn followed over SSE: POST the message, read the events, and when the connection
// drops resume with GET /chat/turns/{id}/stream + Last-Event-ID until `done` or `error`.

import { errorFrom } from "./api.js";
import { readEvents } from "./sse.js";

const PENDING_KEY = "frontdesk.pendingTurn";
const MAX_QUIET_RETRIES = 6;
const sleep = (ms, signal) =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });

export function pendingTurn() {
  try {
    return JSON.parse(sessionStorage.getItem(PENDING_KEY));
  } catch {
    return null;
  }
}

export class Turn {
  /** `message` is an AssistantMessage; `onEvent(payload)` sees every event (e.g. `done`). */
  constructor(api, message, { onEvent = () => {}, onStarted = () => {} } = {}) {
    this.api = api;
    this.message = message;
    this.onEvent = onEvent;
    this.onStarted = onStarted;
    this.turnId = null;
    this.conversationId = null;
    this.lastId = null;
    this.lastN = 0;
    this.finished = false;
    this.stopped = false;
    this.controller = new AbortController();
  }

  async send(conversationId, content) {
    this.conversationId = conversationId;
    const path = `/chat/conversations/${encodeURIComponent(conversationId)}/messages`;
    const response = await this.api.fetch(path, { method: "POST", json: { content }, signal: this.controller.signal });
    if (!response.ok) throw await errorFrom(response);
    this.turnId = response.headers.get("X-Turn-Id");
    if (this.stopped) {
      await this.#cancel();
      return;
    }
    this.#remember();
    this.onStarted(this.turnId);
    await this.#consume(response);
    await this.#resumeUntilDone();
  }

  /** Pick up a turn that was running when the page was left (events replayed from the start). */
  async follow(conversationId, turnId) {
    this.conversationId = conversationId;
    this.turnId = turnId;
    this.#remember();
    await this.#resumeUntilDone(true);
  }

  async stop() {
    if (this.finished || this.stopped) return;
    this.stopped = true;
    this.#forget();
    this.message.fail("Stopped. The question stays in the conversation; no answer was stored.");
    if (this.turnId) await this.#cancel(); // else send() cancels as soon as the server names the turn
  }

  async #cancel() {
    try {
      await this.api.fetch(`/chat/turns/${encodeURIComponent(this.turnId)}`, { method: "DELETE" });
    } catch {
      /* offline: the server ends the turn on its own */
    }
    this.controller.abort();
  }

  /** Stop following (another conversation was opened); the turn runs on at the server. */
  detach() {
    if (this.finished || this.stopped) return;
    this.stopped = true;
    this.controller.abort();
  }

  get running() {
    return !this.finished && !this.stopped;
  }

  #remember() {
    sessionStorage.setItem(PENDING_KEY, JSON.stringify({ turnId: this.turnId, conversationId: this.conversationId }));
  }

  #forget() {
    if (pendingTurn()?.turnId === this.turnId) sessionStorage.removeItem(PENDING_KEY);
  }

  async #consume(response) {
    try {
      for await (const event of readEvents(response, this.controller.signal)) {
        this.#handle(event);
        if (this.finished) return;
      }
    } catch (error) {
      if (this.stopped) return;
      console.info("frontdesk: the answer's connection dropped; resuming", error?.message ?? error);
    }
  }

  async #resumeUntilDone(immediately = false) {
    let quiet = 0;
    while (!this.finished && !this.stopped && quiet < MAX_QUIET_RETRIES) {
      if (!immediately || quiet > 0) {
        this.message.status("Connection lost — reconnecting…");
        await sleep(Math.min(8000, 400 * 2 ** quiet), this.controller.signal);
        if (this.stopped) return;
      }
      quiet++;
      let response;
      try {
        const headers = this.lastId ? { "Last-Event-ID": this.lastId } : {};
        const path = `/chat/turns/${encodeURIComponent(this.turnId)}/stream`;
        response = await this.api.fetch(path, { headers, signal: this.controller.signal });
      } catch {
        continue; // offline: try again after the back-off
      }
      if (response.status === 404 || response.status === 400 || response.status === 401) break;
      if (!response.ok) continue;
      const before = this.lastN;
      this.message.status("");
      await this.#consume(response);
      if (this.lastN > before) quiet = 0;
    }
    if (!this.finished && !this.stopped) {
      this.#forget();
      this.message.fail("The connection was lost. The answer is kept: reopen the conversation to read it.");
    }
  }

  #handle({ id, data }) {
    let payload;
    try {
      payload = JSON.parse(data);
    } catch {
      return;
    }
    const n = Number.parseInt(String(id ?? "").split("-").pop(), 10);
    if (Number.isFinite(n)) {
      if (n <= this.lastN) return; // already shown (a replay overlapping what we had)
      this.lastN = n;
      this.lastId = id;
    }
    const m = this.message;
    switch (payload.type) {
      case "agent":
        m.setDepartment(payload.department);
        break;
      case "content":
        m.status("");
        m.appendDelta(payload.delta ?? "");
        break;
      case "tool_call":
        m.status(`Using ${payload.tool}…`);
        m.addToolCall(payload);
        break;
      case "tool_result":
        m.status("");
        m.setToolResult(payload);
        break;
      case "status":
        m.status(payload.text ?? "");
        break;
      case "done":
        this.finished = true;
        this.#forget();
        m.finish(payload.content, payload.agent);
        break;
      case "error":
        this.finished = true;
        this.#forget();
        m.fail(payload.code === "cancelled" ? "Stopped." : payload.detail || "Something went wrong.");
        break;
      default:
        break;
    }
    this.onEvent(payload);
  }
}
