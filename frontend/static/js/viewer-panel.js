// The viewer's side panel: the meeting's documents grouped by agenda item, text search, my notes.
import { ApiError, get } from "./api.js";
import { h, fill } from "./dom.js";
import { t } from "./i18n.js";
import { toast } from "./toast.js";
import { onSubmit } from "./forms.js";

export class Panel {
  /** ctx: {meetingId, docId(), goTo(docId, page), onOpen(open)} */
  constructor(ctx) {
    this.ctx = ctx;
    this.docs = [];
    this.agenda = [];
    this.root = document.getElementById("panel");
    this.toggle = document.getElementById("btn-panel");
    this.toggle.addEventListener("click", () => this.open(this.root.hidden));
    document.getElementById("btn-panel-close").addEventListener("click", () => this.open(false));
    for (const tab of this.root.querySelectorAll(".vw-tab")) tab.addEventListener("click", () => this.show(tab.dataset.tab));
    onSubmit(document.getElementById("search-form"), (e) => {
      e.preventDefault();
      this.search(document.getElementById("search-q").value);
    });
  }

  open(on) {
    this.root.hidden = !on;
    this.toggle.setAttribute("aria-expanded", String(on));
    this.ctx.onOpen(on);
  }

  show(name) {
    this.open(true);
    for (const tab of this.root.querySelectorAll(".vw-tab")) tab.setAttribute("aria-selected", String(tab.dataset.tab === name));
    for (const pane of this.root.querySelectorAll(".vw-pane")) pane.hidden = pane.dataset.pane !== name;
    if (name === "search") document.getElementById("search-q").focus();
  }

  async loadDocs() {
    try {
      this.docs = await get(`/api/meetings/${this.ctx.meetingId}/documents`);
    } catch (err) {
      toast(err.message, "error");
    }
    this.renderDocs();
  }

  setAgenda(agenda) {
    if (JSON.stringify(agenda ?? []) === JSON.stringify(this.agenda)) return;
    this.agenda = agenda ?? [];
    this.renderDocs();
  }

  renderDocs() {
    const groups = [{ id: null, title: t("viewer.general"), docs: [] }];
    const byItem = new Map(groups.map((g) => [g.id, g]));
    this.agenda.forEach((item, i) => {
      const g = { id: item.id, title: `${i + 1}. ${item.title}`, presenter: item.presenter, state: item.state, docs: [] };
      groups.push(g);
      byItem.set(item.id, g);
    });
    for (const d of this.docs) (byItem.get(d.agenda_item_id) ?? groups[0]).docs.push(d);
    const current = this.ctx.docId();
    fill(
      document.getElementById("doc-list"),
      groups.filter((g) => g.docs.length).map((g) =>
        h("section", { class: `vw-group-docs${g.state === "current" ? " is-current" : ""}` },
          h("h3", {}, g.title),
          g.presenter ? h("p", { class: "muted small" }, `${t("live.presenter")}: ${g.presenter}`) : null,
          h("ul", {}, g.docs.map((d) =>
            h("li", {},
              h("a", {
                href: `/meetings/${this.ctx.meetingId}/documents/${d.id}`, class: d.id === current ? "active" : "",
                "aria-current": d.id === current ? "page" : null, dataset: { testid: "doc-link", id: d.id },
                onclick: (e) => { e.preventDefault(); this.ctx.goTo(d.id, 1); },
              },
              h("span", { class: "vw-doc-title" }, d.title),
              h("span", { class: "muted small" }, `${d.page_count} tr. · v${d.version}`),
              d.restricted ? h("span", { class: "vw-badge" }, t("viewer.restricted")) : null),
            ))),
        ),
      ),
    );
  }

  async search(q) {
    const count = document.getElementById("search-count");
    const list = document.getElementById("search-results");
    if (q.trim().length < 2) return;
    try {
      const found = await get(`/api/documents/${this.ctx.docId()}/text?q=${encodeURIComponent(q)}`);
      count.textContent = !found.matches.length ? t("viewer.search_none")
        : found.more ? t("viewer.search_more", { n: found.matches.length }) // the first N: the rest not searched
          : t("viewer.search_count", { n: found.matches.length });
      fill(list, found.matches.map((m) => h("li", {},
        h("button", { type: "button", class: "vw-result", dataset: { page: m.page, testid: "search-result" },
          onclick: () => this.ctx.goTo(this.ctx.docId(), m.page) },
        h("strong", {}, t("viewer.page_n", { n: m.page })), " ", highlight(m.snippet, m.match)))));
    } catch (err) {
      if (err instanceof ApiError && err.code === "superseded") return; // a newer search of this user answers
      count.textContent = err.message;
      fill(list);
    }
  }

  /** My notes on this document: go to the page, or delete. */
  renderMine(items, { onGo, onDelete }) {
    const list = document.getElementById("my-notes");
    if (!items.length) {
      fill(list, h("li", { class: "muted" }, t("viewer.no_notes")));
      return;
    }
    fill(list, items.map((a) => h("li", { dataset: { id: a.id } },
      h("button", { type: "button", class: "vw-result", onclick: () => onGo(a) },
        h("strong", {}, `${t("viewer.page_n", { n: a.page })} · ${t(`viewer.kind.${a.kind}`)}`),
        a.kind === "note" ? h("span", { class: "vw-note-text" }, a.text) : null),
      typeof a.id === "number" ? h("button", { type: "button", class: "vw-btn vw-danger vw-small", onclick: () => onDelete(a) }, t("viewer.delete")) : null,
    )));
  }
}

/** The snippet with the first occurrence of `match` in <mark> (as text nodes, never HTML). */
function highlight(snippet, match) {
  const at = match ? snippet.indexOf(match) : -1;
  if (at < 0) return snippet;
  return [snippet.slice(0, at), h("mark", {}, match), snippet.slice(at + match.length)];
}
