// Tool calls as collapsible cards: the tool, its arguments and its result. Lists of records
// become tables; everything is text (never HTML).

import { h } from "./dom.js";

const MAX_ROWS = 50;
const MAX_COLUMNS = 6;
const PREFERRED = ["name", "title", "email", "company", "status", "source", "value", "tags", "platform"];

function label(key) {
  return String(key).replace(/_/g, " ");
}

function scalarText(value) {
  if (value === null || value === undefined || value === "") return "—";
  if (Array.isArray(value)) return value.every((v) => typeof v !== "object") ? value.join(", ") : JSON.stringify(value);
  if (typeof value === "object") return JSON.stringify(value);
  if (typeof value === "number" && !Number.isInteger(value)) return value.toLocaleString(undefined, { maximumFractionDigits: 2 });
  return String(value);
}

function isRecordList(value) {
  return Array.isArray(value) && value.length > 0 && value.every((v) => v && typeof v === "object" && !Array.isArray(v));
}

function columnsOf(rows) {
  const seen = [];
  for (const row of rows.slice(0, MAX_ROWS)) for (const key of Object.keys(row)) if (!seen.includes(key)) seen.push(key);
  const filled = seen.filter((k) => rows.some((r) => r[k] !== null && r[k] !== undefined && r[k] !== ""));
  const preferred = PREFERRED.filter((k) => filled.includes(k));
  const rest = filled.filter((k) => !preferred.includes(k) && !/^(first|last)_name$|_at$|^id$/.test(k));
  const chosen = [...preferred, ...rest].slice(0, MAX_COLUMNS);
  return chosen.length ? chosen : filled.slice(0, MAX_COLUMNS);
}

export function recordTable(rows, caption) {
  const columns = columnsOf(rows);
  const shown = rows.slice(0, MAX_ROWS);
  return h(
    "div",
    { class: "table-scroll" },
    h(
      "table",
      { class: "records" },
      caption ? h("caption", { text: caption }) : null,
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col", text: label(c) })))),
      h("tbody", {}, shown.map((row) => h("tr", {}, columns.map((c) => h("td", { text: scalarText(row[c]) }))))),
    ),
    rows.length > shown.length ? h("p", { class: "muted", text: `…and ${rows.length - shown.length} more` }) : null,
  );
}

/** A tool's arguments or result as readable nodes. */
export function renderValue(value) {
  if (isRecordList(value)) return recordTable(value);
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const pairs = [];
    const tables = [];
    for (const [key, v] of Object.entries(value)) {
      if (isRecordList(v)) tables.push(recordTable(v, label(key)));
      else if (v && typeof v === "object" && !Array.isArray(v)) pairs.push([key, h("pre", { class: "json", text: JSON.stringify(v, null, 2) })]);
      else pairs.push([key, scalarText(v)]);
    }
    const dl = pairs.length ? h("dl", { class: "pairs" }, pairs.map(([k, v]) => [h("dt", { text: label(k) }), h("dd", {}, v)])) : null;
    if (!dl && !tables.length) return h("p", { class: "muted", text: "(nothing)" });
    return h("div", {}, dl, tables);
  }
  if (typeof value === "string") return h("pre", { class: "json", text: value });
  return h("p", { text: scalarText(value) });
}

function summaryOf(result) {
  if (result && typeof result === "object" && !Array.isArray(result)) {
    if (typeof result.total === "number") return `${result.total.toLocaleString()} found`;
    const list = Object.values(result).find(Array.isArray);
    if (list) return `${list.length} item${list.length === 1 ? "" : "s"}`;
  }
  if (Array.isArray(result)) return `${result.length} item${result.length === 1 ? "" : "s"}`;
  return "done";
}

/** A collapsed card for a tool call; fill it in with `setToolResult`. */
export function toolCard({ id, tool, arguments: args }) {
  const state = h("span", { class: "tool-state", text: "running…" });
  const card = h(
    "details",
    { class: "tool-card", dataset: { callId: id ?? "", tool } },
    h(
      "summary",
      {},
      h("span", { class: "tool-icon", "aria-hidden": "true" }),
      h("span", { class: "tool-name", text: tool }),
      state,
    ),
    h("div", { class: "tool-body" }, h("h4", { text: "Arguments" }), renderValue(args ?? {}), h("div", { class: "tool-result" })),
  );
  card.running = true;
  return card;
}

export function setToolResult(card, result, isError) {
  const slot = card.querySelector(".tool-result");
  slot.replaceChildren(h("h4", { text: isError ? "Error" : "Result" }), renderValue(result));
  card.classList.toggle("is-error", Boolean(isError));
  card.querySelector(".tool-state").textContent = isError ? "failed" : summaryOf(result);
  card.running = false;
}
