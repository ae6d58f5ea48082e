// The search box (home page and live page): GET /api/search as the user types; each hit opens the meeting or
// the document viewer at its page. Server text is only ever set as text; matches are marked with <mark> nodes.
import { api } from "./api.js";
import { fill, h } from "./dom.js";
import { t } from "./i18n.js";
import { onSubmit } from "./forms.js";

const PAGE = 20;

/** The snippet as text nodes with the [start, end) code-point ranges in <mark>. */
function marked(snippet, highlights) {
  const chars = Array.from(snippet);
  const parts = [];
  let at = 0;
  for (const [a, b] of highlights) {
    if (a < at || b > chars.length) continue;
    parts.push(chars.slice(at, a).join(""), h("mark", {}, chars.slice(a, b).join("")));
    at = b;
  }
  parts.push(chars.slice(at).join(""));
  return parts;
}

function link(hit) {
  if (hit.document) return `/meetings/${hit.meeting.id}/documents/${hit.document.id}?page=${hit.page ?? 1}`;
  return `/meetings/${hit.meeting.id}`;
}

function row(hit) {
  const title = hit.document?.title ?? hit.agenda_item?.title ?? hit.meeting.title;
  const where = [hit.meeting.title, hit.document && hit.agenda_item ? hit.agenda_item.title : null,
    hit.page ? t("search.page", { n: hit.page }) : null].filter(Boolean).join(" · ");
  const body = hit.snippet === null ? h("p", { class: "search-snippet muted" }, t("search.restricted"))
    : h("p", { class: "search-snippet" }, marked(hit.snippet, hit.highlights));
  return h("li", {},
    h("a", { class: "search-hit", href: link(hit), dataset: { testid: "search-hit", kind: hit.kind, page: hit.page ?? "" } },
      h("span", { class: "search-kind" }, t(`search.kind.${hit.kind}`)),
      h("strong", { class: "search-title" }, title),
      h("span", { class: "search-where muted small" }, where),
      body));
}

function setup(form) {
  const input = form.querySelector("input[type=search]");
  const panel = form.querySelector(".search-panel");
  const status = form.querySelector(".search-status");
  const list = form.querySelector(".search-hits");
  const more = form.querySelector(".search-more");
  let timer = null;
  let asked = 0; // answers to older keystrokes are dropped
  let shown = 0;

  async function run(offset) {
    const q = input.value;
    if (!q.trim()) {
      panel.hidden = true;
      return;
    }
    const mine = ++asked;
    try {
      const found = await api("GET", `/api/search?q=${encodeURIComponent(q)}&limit=${PAGE}&offset=${offset}`);
      if (mine !== asked) return;
      if (offset === 0) fill(list);
      list.append(...found.items.map(row));
      shown = offset + found.items.length;
      status.textContent = found.total ? t("search.count", { n: found.more ? `${found.total}+` : found.total }) : t("search.none");
      more.hidden = shown >= found.total;
    } catch (err) {
      if (mine !== asked) return;
      fill(list);
      status.textContent = err.message;
      more.hidden = true;
    }
    panel.hidden = false;
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => run(0), 250);
  });
  onSubmit(form, (e) => {
    e.preventDefault();
    clearTimeout(timer);
    run(0);
  });
  more.addEventListener("click", () => run(shown));
  input.addEventListener("keydown", (e) => {
    if (e.key === "Escape") panel.hidden = true;
  });
  document.addEventListener("click", (e) => {
    if (!form.contains(e.target)) panel.hidden = true;
  });
}

for (const form of document.querySelectorAll("[data-search]")) setup(form);
