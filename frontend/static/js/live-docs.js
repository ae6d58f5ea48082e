// The "Tài liệu" tab: the documents this viewer may read (GET /api/meetings/{id}/documents answers per
// viewer; the live slice holds only what everyone may see), for the current item or all items, each opening
// the viewer page. Refetched on join, on every event whose type starts with "document", and on the user's own
// `documents` message (a restricted document's change, told to its readers only).
import { get } from "./api.js";
import { h, morph } from "./dom.js";
import { t } from "./i18n.js";
import { setCount } from "./live-tabs.js";

const $ = (id) => document.getElementById(id);
let ctx = null;
let docs = null; // null: not loaded yet
let scope = "current";
let loading = null;
let again = false;

export function init(context) {
  ctx = context;
  for (const button of document.querySelectorAll("#docs-scope [data-scope]")) {
    button.addEventListener("click", () => {
      scope = button.dataset.scope;
      ctx.rerender();
    });
  }
}

async function load() {
  if (loading) {
    again = true; // one more fetch after this one: the list may have changed meanwhile
    return;
  }
  loading = get(`/api/meetings/${ctx.meetingId}/documents`);
  try {
    docs = await loading;
  } catch {
    docs = docs ?? [];
  } finally {
    loading = null;
  }
  ctx.rerender();
  if (again) {
    again = false;
    load();
  }
}

export function refresh() {
  if (ctx) load();
}

export function onEvents(info) {
  if (info.reset || info.events.some((e) => String(e.type).startsWith("document"))) load();
}

function docRow(doc) {
  const href = `/meetings/${ctx.meetingId}/documents/${doc.id}`;
  const bits = [doc.page_count ? t("docs.pages", { n: doc.page_count }) : null, doc.version > 1 ? t("docs.version", { n: doc.version }) : null];
  return h(
    "li",
    { class: "doc", "data-testid": "doc", dataset: { documentId: doc.id, restricted: String(!!doc.restricted) } },
    h(
      "a",
      { class: "doc-link", href, "data-testid": "doc-link" },
      h("span", { class: "doc-icon", "aria-hidden": "true" }, "PDF"),
      h(
        "span",
        { class: "doc-body" },
        h("span", { class: "t" }, doc.title),
        h("span", { class: "p" }, bits.filter(Boolean).join(" · ")),
      ),
      doc.restricted ? h("span", { class: "badge badge-restricted", "data-testid": "doc-restricted" }, t("docs.restricted")) : null,
      doc.pages_ready === false ? h("span", { class: "badge" }, t("docs.processing")) : null,
      h("span", { class: "chev", "aria-hidden": "true" }, "›"),
    ),
  );
}

function group(title, list, { current = false } = {}) {
  return h(
    "section",
    { class: `doc-group${current ? " current" : ""}`, "data-testid": "doc-group" },
    h("h3", {}, title),
    h("ul", { class: "doc-list" }, list.map(docRow)),
  );
}

export function render(state) {
  const host = $("docs-list");
  for (const button of document.querySelectorAll("#docs-scope [data-scope]")) {
    button.setAttribute("aria-pressed", String(button.dataset.scope === scope));
  }
  if (docs === null) return;
  const currentId = state.meeting.current_item_id;
  const forItem = (id) => docs.filter((d) => (d.agenda_item_id ?? null) === id);
  setCount("documents", docs.length ? String(docs.length) : "");
  if (!docs.length) {
    morph(host, h("p", { class: "muted" }, t("docs.none")));
    return;
  }
  if (scope === "current" && currentId) {
    const item = state.agenda.find((i) => i.id === currentId);
    const mine = forItem(currentId);
    const general = forItem(null);
    morph(
      host,
      mine.length ? group(`${item.position}. ${item.title}`, mine, { current: true }) : h("p", { class: "muted" }, t("docs.none_item")),
      general.length ? group(t("docs.general"), general) : null,
    );
    return;
  }
  const groups = [];
  const general = forItem(null);
  if (general.length) groups.push(group(t("docs.general"), general));
  for (const item of state.agenda) {
    const list = forItem(item.id);
    if (list.length) groups.push(group(`${item.position}. ${item.title}`, list, { current: item.id === currentId }));
  }
  morph(host, groups);
}
