// A small Markdown renderer that builds DOM nodes: paragraphs, headings, lists, tables, quotes,
// code, emphasis and links. Raw HTML is never interpreted — it stays visible text — and only
// http(s)/mailto links are made clickable. Images become links, so nothing loads on its own.

import { h } from "./dom.js";

const SAFE_URL = /^(https?:\/\/|mailto:)/i;
const INLINE =
  /(`+)([\s\S]*?[^`])\1(?!`)|\*\*(?=\S)([\s\S]*?\S)\*\*|__(?=\S)([\s\S]*?\S)__|\*(?=\S)([^*\n]*?\S)\*|(?<![\w])_(?=\S)([^_\n]*?\S)_(?![\w])|!?\[([^\]\n]+)\]\(([^)\s]+)\)|(https?:\/\/[^\s<>()]+[^\s<>().,;:!?'"])/g;

export function renderInline(text) {
  const out = [];
  let last = 0;
  for (const m of text.matchAll(INLINE)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    last = m.index + m[0].length;
    if (m[2] !== undefined) out.push(h("code", { text: m[2] }));
    else if (m[3] !== undefined || m[4] !== undefined) out.push(h("strong", {}, renderInline(m[3] ?? m[4])));
    else if (m[5] !== undefined || m[6] !== undefined) out.push(h("em", {}, renderInline(m[5] ?? m[6])));
    else if (m[7] !== undefined) out.push(link(m[8], renderInline(m[7]), m[0]));
    else if (m[9] !== undefined) out.push(link(m[9], [m[9]], m[9]));
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

function link(url, children, raw) {
  if (!SAFE_URL.test(url)) return raw; // javascript:, data:, relative tricks: shown as text
  return h("a", { href: url, target: "_blank", rel: "noopener noreferrer nofollow" }, children);
}

const FENCE = /^\s*(`{3,}|~{3,})\s*([\w+-]*)\s*$/;
const HEADING = /^(#{1,6})\s+(.*?)\s*#*\s*$/;
const BULLET = /^\s*[-*+]\s+(.*)$/;
const ORDERED = /^\s*(\d{1,9})[.)]\s+(.*)$/;
const QUOTE = /^\s*>\s?(.*)$/;
const RULE = /^\s*([-*_])(\s*\1){2,}\s*$/;
const TABLE_DIVIDER = /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/;

function cells(line) {
  let s = line.trim();
  if (s.startsWith("|")) s = s.slice(1);
  if (s.endsWith("|") && !s.endsWith("\\|")) s = s.slice(0, -1);
  return s.split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, "|"));
}

function isBlockStart(line, next) {
  return (
    FENCE.test(line) ||
    HEADING.test(line) ||
    BULLET.test(line) ||
    ORDERED.test(line) ||
    QUOTE.test(line) ||
    RULE.test(line) ||
    (line.includes("|") && next !== undefined && TABLE_DIVIDER.test(next))
  );
}

/** Markdown text -> a DocumentFragment of safe nodes. */
export function renderMarkdown(text) {
  const lines = String(text ?? "").replace(/\r\n?/g, "\n").split("\n");
  const frag = document.createDocumentFragment();
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (!line.trim()) {
      i++;
      continue;
    }
    const fence = line.match(FENCE);
    if (fence) {
      const body = [];
      i++;
      while (i < lines.length && !lines[i].trim().startsWith(fence[1])) body.push(lines[i++]);
      i++;
      const code = h("code", { text: body.join("\n") });
      if (fence[2]) code.dataset.lang = fence[2];
      frag.append(h("pre", {}, code));
      continue;
    }
    const heading = line.match(HEADING);
    if (heading) {
      const level = Math.min(6, heading[1].length + 2); // the page owns h1/h2
      frag.append(h(`h${level}`, {}, renderInline(heading[2])));
      i++;
      continue;
    }
    if (RULE.test(line)) {
      frag.append(h("hr"));
      i++;
      continue;
    }
    if (line.includes("|") && i + 1 < lines.length && TABLE_DIVIDER.test(lines[i + 1])) {
      const head = cells(line);
      i += 2;
      const rows = [];
      while (i < lines.length && lines[i].includes("|") && lines[i].trim()) rows.push(cells(lines[i++]));
      frag.append(
        h(
          "div",
          { class: "table-scroll" },
          h(
            "table",
            {},
            h("thead", {}, h("tr", {}, head.map((c) => h("th", { scope: "col" }, renderInline(c))))),
            h("tbody", {}, rows.map((r) => h("tr", {}, head.map((_, k) => h("td", {}, renderInline(r[k] ?? "")))))),
          ),
        ),
      );
      continue;
    }
    if (BULLET.test(line) || ORDERED.test(line)) {
      const ordered = !BULLET.test(line);
      const pattern = ordered ? ORDERED : BULLET;
      const list = h(ordered ? "ol" : "ul");
      if (ordered) {
        const start = Number(line.match(ORDERED)[1]);
        if (start !== 1) list.setAttribute("start", String(start));
      }
      let item = null;
      while (i < lines.length && lines[i].trim()) {
        const m = lines[i].match(pattern);
        if (m) {
          item = h("li", {}, renderInline(ordered ? m[2] : m[1]));
          list.append(item);
        } else if (item && /^\s+/.test(lines[i]) && !isBlockStart(lines[i], lines[i + 1])) {
          item.append(h("br"), ...renderInline(lines[i].trim()));
        } else break;
        i++;
      }
      frag.append(list);
      continue;
    }
    if (QUOTE.test(line)) {
      const body = [];
      while (i < lines.length && QUOTE.test(lines[i])) body.push(lines[i++].match(QUOTE)[1]);
      frag.append(h("blockquote", {}, renderMarkdown(body.join("\n"))));
      continue;
    }
    const para = h("p");
    let first = true;
    while (i < lines.length && lines[i].trim() && (first || !isBlockStart(lines[i], lines[i + 1]))) {
      if (!first) para.append(h("br"));
      para.append(...renderInline(lines[i].trim()));
      first = false;
      i++;
    }
    frag.append(para);
  }
  return frag;
}
