// The message list: user bubbles, assistant answers (department, tool cards, Markdown body) and
// the empty state with example questions.

import { $, clear, h } from "./dom.js";
import { renderMarkdown } from "./markdown.js";
import { setToolResult, toolCard } from "./toolcards.js";

const DEPARTMENTS = {
  sales: "Sales",
  marketing: "Marketing",
  support: "Support",
  operations: "Operations",
  data: "Data",
};

export function departmentName(name) {
  return DEPARTMENTS[name] ?? (name ? name[0].toUpperCase() + name.slice(1) : "");
}

function timeLabel(iso) {
  if (!iso) return null;
  const date = new Date(iso);
  return Number.isNaN(date.valueOf()) ? null : h("time", { datetime: iso, text: date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) });
}

/** One assistant answer; the turn runner feeds it events as they arrive. */
export class AssistantMessage {
  constructor() {
    this.text = "";
    this.cards = new Map();
    this.badge = h("span", { class: "department", hidden: true });
    this.statusLine = h("p", { class: "status muted", hidden: true });
    this.tools = h("div", { class: "tools" });
    this.body = h("div", { class: "body markdown" });
    this.el = h(
      "li",
      { class: "message assistant", "aria-busy": "true" },
      h("div", { class: "meta" }, h("span", { class: "who", text: "frontdesk" }), this.badge),
      this.tools,
      this.body,
      this.statusLine,
    );
    this.pending = false;
  }

  setDepartment(name) {
    if (!name) return;
    this.badge.textContent = departmentName(name);
    this.badge.title = `Answered by the ${departmentName(name)} agent`;
    this.badge.hidden = false;
  }

  addToolCall(call) {
    const card = toolCard(call);
    this.cards.set(call.id ?? `${call.tool}-${this.cards.size}`, card);
    this.tools.append(card);
    return card;
  }

  setToolResult({ id, tool, result, is_error: isError }) {
    let card = this.cards.get(id);
    if (!card) card = [...this.cards.values()].find((c) => c.running && c.dataset.tool === tool);
    if (!card) card = this.addToolCall({ id, tool, arguments: {} });
    setToolResult(card, result, isError);
  }

  appendDelta(text) {
    this.text += text;
    this.#scheduleRender();
  }

  status(text) {
    this.statusLine.textContent = text;
    this.statusLine.hidden = !text;
  }

  #scheduleRender() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.body.replaceChildren(renderMarkdown(this.text));
    });
  }

  finish(content, agent) {
    if (typeof content === "string") this.text = content;
    this.body.replaceChildren(renderMarkdown(this.text));
    this.setDepartment(agent);
    this.status("");
    this.el.setAttribute("aria-busy", "false");
    this.el.classList.remove("streaming");
  }

  fail(detail) {
    this.status("");
    this.el.setAttribute("aria-busy", "false");
    this.el.classList.remove("streaming");
    this.body.append(h("p", { class: "turn-error", role: "status", text: detail }));
  }
}

export class MessageList {
  constructor() {
    this.list = $("messages");
    this.empty = $("empty-state");
    this.suggestions = $("suggestions");
  }

  reset() {
    clear(this.list);
  }

  showEmpty(questions, onPick) {
    this.reset();
    this.empty.hidden = false;
    clear(this.suggestions).append(
      ...questions.map((q) => h("li", {}, h("button", { type: "button", class: "suggestion", text: q, onclick: () => onPick(q) }))),
    );
  }

  hideEmpty() {
    this.empty.hidden = true;
  }

  addUser(text, createdAt) {
    this.hideEmpty();
    const li = h(
      "li",
      { class: "message user" },
      h("div", { class: "meta" }, h("span", { class: "who", text: "You" }), timeLabel(createdAt)),
      h("div", { class: "body" }, text.split("\n").flatMap((line, i) => (i ? [h("br"), line] : [line]))),
    );
    this.list.append(li);
    this.scroll();
    return li;
  }

  addAssistant() {
    this.hideEmpty();
    const message = new AssistantMessage();
    message.el.classList.add("streaming");
    this.list.append(message.el);
    this.scroll();
    return message;
  }

  /** Stored messages (GET /chat/conversations/{id}/messages) -> the list. */
  renderHistory(messages) {
    this.reset();
    this.hideEmpty();
    for (const m of messages) {
      if (m.role === "user") {
        this.addUser(m.content, m.created_at);
        continue;
      }
      if (m.role !== "assistant") continue;
      const message = new AssistantMessage();
      const results = new Map((m.tool_results ?? []).map((r) => [r.tool_call_id, r]));
      for (const call of m.tool_calls ?? []) {
        let args = call.function?.arguments ?? {};
        try {
          if (typeof args === "string") args = JSON.parse(args);
        } catch {
          /* keep the text */
        }
        message.addToolCall({ id: call.id, tool: call.function?.name ?? "tool", arguments: args });
        const r = results.get(call.id);
        if (r) message.setToolResult({ id: call.id, tool: r.name, result: r.content, is_error: r.is_error });
      }
      message.finish(m.content, m.agent_used);
      this.list.append(message.el);
    }
    this.scroll();
  }

  scroll() {
    const chat = this.list.parentElement;
    requestAnimationFrame(() => chat.scrollTo({ top: chat.scrollHeight }));
  }
}
