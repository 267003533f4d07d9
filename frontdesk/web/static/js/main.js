// The chat page: wires sign-in, the conversations sidebar, the message list, the composer and
// the media controls to the frontdesk API. Everything it shows comes from this server only.

import { Api } from "./api.js";
import { AuthForm } from "./auth.js";
import { $ } from "./dom.js";
import { MediaControls, mediaRoutes } from "./media.js";
import { MessageList } from "./messages.js";
import { Sidebar } from "./sidebar.js";
import { Turn, pendingTurn } from "./turn.js";

const HISTORY_PAGE = 500;
const api = new Api();
const messages = new MessageList();
const input = $("composer-input");
let current = null; // the open conversation's id (null: a new chat, created on the first message)
let turn = null;
let mediaReady = false;

const sidebar = new Sidebar(api, {
  onOpen: (id, options) => openConversation(id, options),
  onDeleted: (id) => {
    if (id === current) newChat();
  },
});
const auth = new AuthForm(api, { onSignedIn: startApp });
api.onSignedOut = (message) => {
  turn?.detach();
  auth.show(message);
};

const media = new MediaControls(api, {
  conversationId: () => current,
  ensureConversation,
  showUser: (text) => messages.addUser(text),
  placeholder: (status) => {
    const m = messages.addAssistant();
    m.status(status);
    return m;
  },
  answered: (sessionId) => {
    if (sessionId && sessionId !== current) setCurrent(sessionId);
    sidebar.load().catch(showError);
  },
  setError,
});

function setError(text) {
  $("composer-error").textContent = text;
}

function showError(error) {
  setError(error?.message ?? String(error));
}

function setTitle(title) {
  $("chat-title").textContent = title ?? "";
  document.title = title ? `${title} · frontdesk` : "frontdesk";
}

function setCurrent(id) {
  current = id;
  history.replaceState(null, "", id ? `#${id}` : location.pathname);
  sidebar.setActive(id);
  setTitle(id ? sidebar.titleOf(id) : null);
}

function setBusy(busy) {
  $("send-button").hidden = busy;
  $("stop-button").hidden = !busy;
  $("messages").setAttribute("aria-busy", String(busy));
}

async function startApp() {
  const wanted = decodeURIComponent(location.hash.slice(1)); // read before anything can change it
  $("auth-view").hidden = true;
  $("app-view").hidden = false;
  $("account-name").textContent = api.session?.user?.name ?? "";
  let me;
  try {
    me = await api.request("/auth/me");
  } catch {
    if (!api.signedIn) return; // onSignedOut showed the form
    auth.show("Cannot reach the server. Reload the page to try again.");
    return;
  }
  $("account-name").textContent = `${me.name} · ${me.account.name}`;
  if (!mediaReady) {
    mediaReady = true;
    media.setup(await mediaRoutes());
  }
  await sidebar.load().catch(showError);
  if (current !== null || turn?.running) return; // the user has already started a chat
  if (wanted) await openConversation(wanted);
  else await newChat();
  input.focus();
}

async function newChat() {
  turn?.detach();
  setBusy(false);
  setCurrent(null);
  setError("");
  closeSidebar();
  messages.showEmpty([], send);
  try {
    const { questions } = await api.request("/chat/suggestions");
    if (current === null) messages.showEmpty(questions, send);
  } catch (error) {
    if (api.signedIn) showError(error);
  }
}

async function loadHistory(id) {
  const path = `/chat/conversations/${encodeURIComponent(id)}/messages`;
  let page = await api.request(`${path}?limit=${HISTORY_PAGE}`);
  if (page.has_more) page = await api.request(`${path}?limit=${HISTORY_PAGE}&offset=${page.total - HISTORY_PAGE}`);
  return page.messages;
}

async function openConversation(id, { quiet = false } = {}) {
  if (quiet) {
    setTitle(sidebar.titleOf(id));
    return;
  }
  turn?.detach();
  setBusy(false);
  setError("");
  setCurrent(id);
  closeSidebar();
  let history;
  try {
    history = await loadHistory(id);
  } catch (error) {
    if (error.status === 404) {
      await newChat();
      setError("That conversation no longer exists.");
    } else if (api.signedIn) showError(error);
    return;
  }
  if (current !== id) return;
  messages.renderHistory(history);
  await resumePending(id);
}

/** A turn that was still running when the page was left: follow it to its end. */
async function resumePending(id) {
  const pending = pendingTurn();
  if (pending?.conversationId !== id) return;
  try {
    const state = await api.request(`/chat/turns/${encodeURIComponent(pending.turnId)}`);
    if (state.status !== "running") return;
  } catch {
    return;
  }
  const message = messages.addAssistant();
  turn = new Turn(api, message);
  setBusy(true);
  try {
    await turn.follow(id, pending.turnId);
  } finally {
    if (current === id) setBusy(false);
    sidebar.load().catch(showError);
  }
}

async function ensureConversation() {
  if (current) return current;
  const conv = await api.request("/chat/conversations", { method: "POST", json: {} });
  setCurrent(conv.conversation_id);
  return conv.conversation_id;
}

function explainSendError(error) {
  if (error.status === 429) {
    return `You are sending messages quickly. Try again in ${error.retryAfter ?? 60} seconds.`;
  }
  if (error.status === 409) return "The previous answer is still being written. Try again in a moment.";
  if (error.status === 413) return "That message is too long.";
  if (!error.status) return "Cannot reach the server. Check your connection.";
  return error.message;
}

async function send(text) {
  const content = text.trim();
  if (!content || turn?.running) return;
  setError("");
  let id;
  try {
    id = await ensureConversation();
  } catch (error) {
    setError(explainSendError(error));
    return;
  }
  const userBubble = messages.addUser(content);
  const message = messages.addAssistant();
  input.value = "";
  resizeComposer();
  const thisTurn = new Turn(api, message, {
    onStarted: () => sidebar.load().then(() => setTitle(sidebar.titleOf(id))).catch(showError),
  });
  turn = thisTurn;
  setBusy(true);
  try {
    await thisTurn.send(id, content);
  } catch (error) {
    if (error.name === "AbortError" || thisTurn.stopped) return;
    userBubble.remove();
    message.el.remove();
    if (!input.value) input.value = content;
    resizeComposer();
    setError(explainSendError(error));
  } finally {
    if (turn === thisTurn) setBusy(false);
    sidebar.load().then(() => current && setTitle(sidebar.titleOf(current))).catch(showError);
    if (turn === thisTurn) input.focus();
  }
}

function resizeComposer() {
  input.style.height = "auto";
  input.style.height = `${Math.min(input.scrollHeight, 200)}px`;
}

function openSidebar() {
  document.body.classList.add("sidebar-open");
  $("sidebar-toggle").setAttribute("aria-expanded", "true");
  $("scrim").hidden = false;
  $("new-chat").focus();
}

function closeSidebar() {
  if (!document.body.classList.contains("sidebar-open")) return;
  document.body.classList.remove("sidebar-open");
  $("sidebar-toggle").setAttribute("aria-expanded", "false");
  $("scrim").hidden = true;
}

input.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    send(input.value);
  }
});
input.addEventListener("input", resizeComposer);
$("composer").addEventListener("submit", (e) => {
  e.preventDefault();
  send(input.value);
});
$("stop-button").addEventListener("click", async () => {
  await turn?.stop();
  setBusy(false);
  input.focus();
});
$("new-chat").addEventListener("click", () => {
  newChat();
  input.focus();
});
$("sign-out").addEventListener("click", async () => {
  turn?.detach();
  try {
    await api.logout();
  } finally {
    history.replaceState(null, "", location.pathname);
    auth.show("You are signed out.");
  }
});
$("sidebar-toggle").addEventListener("click", () =>
  document.body.classList.contains("sidebar-open") ? closeSidebar() : openSidebar(),
);
$("scrim").addEventListener("click", closeSidebar);
document.addEventListener("keydown", (e) => {
  if (e.key === "Escape" && document.body.classList.contains("sidebar-open")) {
    closeSidebar();
    $("sidebar-toggle").focus();
  }
});
window.addEventListener("unhandledrejection", (e) => {
  e.preventDefault();
  showError(e.reason);
});

if (api.signedIn) startApp();
else auth.show();
