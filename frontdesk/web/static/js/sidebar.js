// The conversations sidebar: newest first, door badges, open / rename / delete, "show more".

import { $, clear, h } from "./dom.js";

const PAGE = 30;
const BADGES = { sms: "SMS", teams: "Teams", voice: "Voice", mcp: "MCP", cli: "Terminal" };

function relativeTime(iso) {
  const then = new Date(iso);
  if (Number.isNaN(then.valueOf())) return "";
  const minutes = Math.round((Date.now() - then) / 60000);
  if (minutes < 1) return "now";
  if (minutes < 60) return `${minutes} min`;
  if (minutes < 60 * 24) return `${Math.round(minutes / 60)} h`;
  return then.toLocaleDateString([], { month: "short", day: "numeric" });
}

export class Sidebar {
  constructor(api, { onOpen, onDeleted }) {
    this.api = api;
    this.onOpen = onOpen;
    this.onDeleted = onDeleted;
    this.list = $("conversation-list");
    this.more = $("conversation-more");
    this.emptyNote = $("conversation-empty");
    this.filter = $("channel-filter");
    this.items = [];
    this.activeId = null;
    this.filter.addEventListener("change", () => this.load());
    this.more.addEventListener("click", () => this.load({ append: true }));
    this.#wireDeleteDialog();
  }

  async load({ append = false } = {}) {
    const params = new URLSearchParams({ limit: String(PAGE), offset: String(append ? this.items.length : 0) });
    if (this.filter.value) params.set("channel", this.filter.value);
    const page = await this.api.request(`/chat/conversations?${params}`);
    this.items = append ? [...this.items, ...page.conversations] : page.conversations;
    this.more.hidden = !page.has_more;
    this.render();
  }

  setActive(id) {
    this.activeId = id;
    for (const li of this.list.children) {
      const link = li.querySelector(".conversation-open");
      if (li.dataset.id === id) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
  }

  titleOf(id) {
    return this.items.find((c) => c.conversation_id === id)?.title ?? null;
  }

  render() {
    clear(this.list);
    this.emptyNote.hidden = this.items.length > 0;
    for (const conv of this.items) this.list.append(this.#item(conv));
    this.setActive(this.activeId);
  }

  #item(conv) {
    const title = conv.title || "New conversation";
    const badge = BADGES[conv.channel];
    const open = h(
      "a",
      {
        class: "conversation-open",
        href: `#${conv.conversation_id}`,
        onclick: (e) => {
          e.preventDefault();
          this.onOpen(conv.conversation_id);
        },
      },
      h("span", { class: "conversation-title", text: title }),
      h(
        "span",
        { class: "conversation-meta" },
        badge ? h("span", { class: `badge badge-${conv.channel}`, text: badge }) : null,
        h("time", { datetime: conv.updated_at, text: relativeTime(conv.updated_at) }),
      ),
    );
    const rename = h("button", {
      type: "button",
      class: "icon-button small",
      "aria-label": `Rename “${title}”`,
      title: "Rename",
      onclick: () => this.#startRename(li, conv),
    });
    const remove = h("button", {
      type: "button",
      class: "icon-button small danger-icon",
      "aria-label": `Delete “${title}”`,
      title: "Delete",
      onclick: () => this.#confirmDelete(conv),
    });
    const li = h(
      "li",
      { class: "conversation", dataset: { id: conv.conversation_id } },
      open,
      h("span", { class: "conversation-actions" }, rename, remove),
    );
    return li;
  }

  #startRename(li, conv) {
    const input = h("input", {
      class: "rename-input",
      value: conv.title || "",
      maxlength: "200",
      "aria-label": "New title (Enter saves, Escape cancels)",
    });
    const form = h("form", { class: "rename-form" }, input);
    let done = false;
    const finish = async (save) => {
      if (done) return;
      done = true;
      const title = input.value.trim();
      if (save && title && title !== conv.title) {
        try {
          const updated = await this.api.request(`/chat/conversations/${encodeURIComponent(conv.conversation_id)}`, {
            method: "PATCH",
            json: { title },
          });
          conv.title = updated.title;
        } catch (error) {
          alertIn(error.message);
        }
      }
      this.render();
      this.list.querySelector(`[data-id="${CSS.escape(conv.conversation_id)}"] .conversation-open`)?.focus();
      if (conv.conversation_id === this.activeId) this.onOpen(conv.conversation_id, { quiet: true });
    };
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      finish(true);
    });
    input.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        e.preventDefault();
        finish(false);
      }
    });
    input.addEventListener("blur", () => finish(true));
    li.replaceChildren(form);
    input.focus();
    input.select();
  }

  #wireDeleteDialog() {
    this.dialog = $("delete-dialog");
    $("delete-cancel").addEventListener("click", () => this.dialog.close());
    $("delete-confirm").addEventListener("click", async () => {
      const conv = this.pendingDelete;
      this.dialog.close();
      if (!conv) return;
      try {
        await this.api.request(`/chat/conversations/${encodeURIComponent(conv.conversation_id)}`, { method: "DELETE" });
      } catch (error) {
        if (error.status !== 404) {
          alertIn(error.message);
          return;
        }
      }
      this.items = this.items.filter((c) => c.conversation_id !== conv.conversation_id);
      this.render();
      this.onDeleted(conv.conversation_id);
    });
  }

  #confirmDelete(conv) {
    this.pendingDelete = conv;
    $("delete-name").textContent = conv.title || "New conversation";
    this.dialog.showModal();
    $("delete-cancel").focus();
  }
}

function alertIn(text) {
  const note = h("p", { class: "form-error", role: "alert", text });
  $("sidebar").append(note);
  setTimeout(() => note.remove(), 6000);
}
