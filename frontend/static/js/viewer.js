// The tablet document viewer: the document and its pages (tablet size, sharper "zoom" size past 1.5x),
// thumbnails, keys, full screen, the toolbar; the page's zoom, gestures and reading mode (viewer-view.js), the side
// panel (viewer-panel.js), annotations (viewer-ink.js) and presenter mode (viewer-presenter.js).
// The meeting's live connection (live-connection.js, shared with the live page) brings the presenter events.
import { get } from "./api.js";
import { h, fill } from "./dom.js";
import { t } from "./i18n.js";
import { LiveConnection } from "./live-connection.js";
import { toast } from "./toast.js";
import { Ink, PALETTES } from "./viewer-ink.js";
import { Panel } from "./viewer-panel.js";
import { Presenter } from "./viewer-presenter.js";
import { PageView } from "./viewer-view.js";

const root = document.getElementById("viewer");
const meetingId = Number(root.dataset.meetingId);
const $ = (id) => document.getElementById(id);
const img = $("page-img");

let doc = null; // GET /api/documents/{id}
let page = 1;

const conn = new LiveConnection({ meetingId });
const { live, socket } = conn;
const request = (name, payload) => conn.request(name, payload);

const ctx = {
  meetingId,
  docId: () => doc?.id ?? Number(root.dataset.documentId),
  version: () => doc?.version ?? 1,
  page: () => page,
  myId: () => conn.me?.user_id ?? Number(document.body.dataset.userId || 0),
  request,
  emit: (name, payload) => socket.connected && socket.volatile.emit(name, payload),
  goTo: (docId, n) => goTo(docId, n, { fromPresenter: true }),
  restricted: () => Boolean(doc?.restricted),
  titleOf: (id) => (id === doc?.id ? doc.title : panel.docs.find((d) => d.id === id)?.title) ?? "",
};
const presenter = new Presenter(ctx);
const panel = new Panel({ meetingId, docId: ctx.docId, goTo: (id, n) => goTo(id, n), onOpen: () => requestAnimationFrame(() => view.layout()) });
const ink = new Ink({
  canvas: $("ink"), notes: $("notes"), dialog: $("note-dialog"),
  ctx: { ...ctx, shareMode: () => presenter.shareInk, sendShared: (n, kind, data) => request("presenter:ink", { meeting_id: meetingId, page: n, kind, data }) },
  onChange: () => panel.renderMine(ink.mine(), { onGo: (a) => goTo(a.document_id, a.page), onDelete: (a) => ink.erase(a) }),
});
const view = new PageView({
  els: { root, scroller: $("scroller"), stage: $("stage"), img, panel: $("panel"), chromeBtn: $("btn-chrome") },
  ink, presenter, onStep: (d) => step(d), onSize: (size) => doc && (img.src = pageUrl(page, size)),
});
window.ecabinetViewer = { conn, live, socket, ink, presenter, get page() { return page; }, get doc() { return doc; } };

// --- document and page ---------------------------------------------------------------------------------

async function loadDocument(id, n = 1) {
  const next = await get(`/api/documents/${id}`);
  doc = next;
  root.dataset.documentId = String(doc.id);
  $("doc-title").textContent = doc.title;
  document.title = `${doc.title} — ${t("app.short")}`;
  $("doc-meta").textContent = `${doc.page_count} tr. · v${doc.version}${doc.restricted ? ` · ${t("viewer.restricted")}` : ""}`;
  const exp = $("btn-export");
  exp.href = doc.restricted ? "#" : `/api/documents/${doc.id}/annotated.pdf?version=${doc.version}`;
  exp.classList.toggle("is-disabled", doc.restricted);
  exp.title = doc.restricted ? t("viewer.export_restricted") : t("viewer.export");
  history.replaceState(null, "", `/meetings/${meetingId}/documents/${doc.id}?page=${n}`);
  renderThumbs();
  panel.renderDocs();
  showPage(n);
  await ink.load().catch((err) => toast(err.message, "error"));
}

function pageUrl(n, size) {
  return `/api/documents/${doc.id}/pages/${n}?size=${size}&version=${doc.version}`;
}

function showPage(n) {
  if (!doc) return;
  page = Math.min(Math.max(1, n), doc.page_count);
  root.dataset.page = String(page);
  $("page-label").textContent = t("viewer.page_of", { n: page, total: doc.page_count });
  $("chrome-page").textContent = `${page}/${doc.page_count}`;
  $("btn-prev").disabled = page <= 1;
  $("btn-next").disabled = page >= doc.page_count;
  const url = pageUrl(page, view.size);
  if (!img.src.endsWith(url)) {
    $("page-loading").hidden = false;
    img.classList.add("is-stale"); // never show the previous page under the new page number
    img.src = url;
  }
  if (page < doc.page_count) new Image().src = pageUrl(page + 1, "tablet"); // the next swipe is instant
  for (const th of $("thumbs").children) th.classList.toggle("active", Number(th.dataset.page) === page);
  $("thumbs").children[page - 1]?.scrollIntoView({ block: "nearest", inline: "center" });
  history.replaceState(null, "", `/meetings/${meetingId}/documents/${doc.id}?page=${page}`);
  ink.cancel();
  presenter.hideDot();
  presenter.refresh();
  view.layout();
}

async function goTo(docId, n, { fromPresenter = false } = {}) {
  try {
    if (!doc || docId !== doc.id) await loadDocument(docId, n);
    else if (n !== page) showPage(n);
  } catch (err) {
    toast(fromPresenter && err.status === 403 ? t("viewer.no_access") : err.message, "error");
  }
  if (!fromPresenter) presenter.onLocalNavigation(doc?.id, page);
  else presenter.refresh();
}

const step = (d) => doc && goTo(doc.id, page + d);

function renderThumbs() {
  fill($("thumbs"), Array.from({ length: doc.page_count }, (_, i) =>
    h("button", { type: "button", class: "vw-thumb", dataset: { page: i + 1, testid: "thumb" }, onclick: () => goTo(doc.id, i + 1),
      "aria-label": t("viewer.page_n", { n: i + 1 }) },
    h("img", { src: pageUrl(i + 1, "thumb"), loading: "lazy", alt: "", draggable: "false" }), h("span", {}, String(i + 1)))));
}

img.addEventListener("load", () => {
  $("page-loading").hidden = true;
  img.classList.remove("is-stale");
  view.loaded();
});
img.addEventListener("error", () => ($("page-loading").textContent = t("common.error")));

// --- full screen (the Fullscreen API; Esc leaves it) ----------------------------------------------------------

const fsBtn = $("btn-fullscreen");
fsBtn.hidden = !document.fullscreenEnabled;
fsBtn.addEventListener("click", () => {
  if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
  else document.documentElement.requestFullscreen({ navigationUI: "hide" }).catch((err) => toast(err.message, "error"));
});
document.addEventListener("fullscreenchange", () => {
  const on = Boolean(document.fullscreenElement);
  root.dataset.fullscreen = String(on);
  fsBtn.setAttribute("aria-pressed", String(on));
  $("fullscreen-label").textContent = t(on ? "tablet.fullscreen_exit" : "tablet.fullscreen");
  view.setChrome(!on);
});

document.addEventListener("keydown", (e) => {
  if (e.target.closest?.("input, textarea, select, dialog")) return;
  if (e.key === "Escape") {
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
    else view.setChrome(true);
    return;
  }
  const keys = { ArrowRight: 1, ArrowDown: 1, PageDown: 1, " ": 1, ArrowLeft: -1, ArrowUp: -1, PageUp: -1 };
  if (e.key in keys && view.zoom <= 1.05) {
    e.preventDefault();
    step(keys[e.key]);
  } else if (e.key === "Home" && doc) goTo(doc.id, 1);
  else if (e.key === "End" && doc) goTo(doc.id, doc.page_count);
  else if (e.key === "+" || e.key === "=") view.setZoom(view.zoom * 1.25);
  else if (e.key === "-") view.setZoom(view.zoom / 1.25);
  else if (e.key === "0") view.setZoom(1);
});

// --- toolbar --------------------------------------------------------------------------------------------

function setTool(tool) {
  ink.tool = tool;
  root.dataset.tool = tool;
  for (const b of $("tools").children) b.setAttribute("aria-pressed", String(b.dataset.tool === tool));
  renderColours();
}

function renderColours() {
  const key = ink.tool === "highlight" ? "highlight" : ink.tool === "note" ? "note" : "pen";
  const wrap = $("colours");
  wrap.hidden = !["pen", "highlight", "note"].includes(ink.tool);
  fill(wrap, PALETTES[key].map((c) => h("button", {
    type: "button", role: "radio", class: "vw-swatch", style: { background: c }, "aria-checked": String(ink.colour[key] === c),
    "aria-label": `${t("viewer.colour")} ${c}`, onclick: () => { ink.colour[key] = c; renderColours(); },
  })));
}

for (const b of $("tools").children) b.addEventListener("click", () => setTool(b.dataset.tool));
$("btn-prev").addEventListener("click", () => step(-1));
$("btn-next").addEventListener("click", () => step(1));
$("btn-zoom-in").addEventListener("click", () => view.setZoom(view.zoom * 1.25));
$("btn-zoom-out").addEventListener("click", () => view.setZoom(view.zoom / 1.25));
$("btn-fit").addEventListener("click", () => view.setZoom(1));
$("btn-export").addEventListener("click", (e) => {
  if (doc?.restricted) {
    e.preventDefault();
    toast(t("viewer.export_restricted"), "error", 9000);
  }
});

// --- live connection --------------------------------------------------------------------------------------

conn.onChange((state) => {
  presenter.update(state.presenter);
  panel.setAgenda(state.agenda);
});
conn.onEvent("*", (env) => {
  ink.onRoomEvent(env);
  if (env.type.startsWith("document")) panel.loadDocs().then(() => presenter.refresh());
  if (env.type === "agenda.current_changed" || env.type.startsWith("meeting.")) presenter.loadPermission();
});
// A snapshot (join, reconnect, or a sync too far behind): the shared ink and the presenter's rights afresh.
conn.onDocuments(() => panel.loadDocs().then(() => presenter.refresh()));
conn.onSnapshot(async () => {
  $("offline-banner").hidden = true;
  await Promise.all([ink.load().catch(() => {}), presenter.loadPermission()]);
  root.dataset.connected = String(conn.connected);
});
conn.onStatus(({ connected }) => {
  if (connected) return;
  root.dataset.connected = "false";
  $("offline-banner").hidden = false;
});
conn.onJoinError((err) => toast(err.message, "error"));
socket.on("annotation", (evt) => ink.onPrivate(evt));
socket.on("pointer", (p) => p.meeting_id === meetingId && presenter.onPointer(p));

async function start() {
  setTool("view");
  const wanted = Number(new URLSearchParams(location.search).get("page") || 1);
  try {
    await loadDocument(Number(root.dataset.documentId), wanted);
  } catch (err) {
    $("page-loading").textContent = err.message;
  }
  panel.loadDocs().then(() => presenter.refresh());
  conn.start();
  root.dataset.ready = "true";
}

start();
