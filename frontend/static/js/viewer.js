// The tablet document viewer: page images (tablet size, sharper "zoom" size past 1.5x), thumbnails, swipe/keys,
// pinch-zoom and pan, the side panel, annotations (viewer-ink.js) and presenter mode (viewer-presenter.js).
// The meeting's live connection (live-connection.js, shared with the live page) brings the presenter events.
import { get } from "./api.js";
import { h, fill } from "./dom.js";
import { t } from "./i18n.js";
import { LiveConnection } from "./live-connection.js";
import { toast } from "./toast.js";
import { Ink, PALETTES } from "./viewer-ink.js";
import { Panel } from "./viewer-panel.js";
import { Presenter } from "./viewer-presenter.js";

const root = document.getElementById("viewer");
const meetingId = Number(root.dataset.meetingId);
const $ = (id) => document.getElementById(id);
const scroller = $("scroller");
const stage = $("stage");
const img = $("page-img");
const MAX_ZOOM = 4;

let doc = null; // GET /api/documents/{id}
let page = 1;
let zoom = 1; // 1 = the page fits the width of the viewing area
let aspect = 1.4142; // height / width of the page image (A4 until the image says otherwise)

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
const panel = new Panel({ meetingId, docId: ctx.docId, goTo: (id, n) => goTo(id, n), onOpen: () => requestAnimationFrame(layout) });
const ink = new Ink({
  canvas: $("ink"), notes: $("notes"), dialog: $("note-dialog"),
  ctx: { ...ctx, shareMode: () => presenter.shareInk, sendShared: (n, kind, data) => request("presenter:ink", { meeting_id: meetingId, page: n, kind, data }) },
  onChange: () => panel.renderMine(ink.mine(), { onGo: (a) => goTo(a.document_id, a.page), onDelete: (a) => ink.erase(a) }),
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
  const url = pageUrl(page, zoom > 1.5 ? "zoom" : "tablet");
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
  layout();
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
  if (img.naturalWidth) aspect = img.naturalHeight / img.naturalWidth;
  layout();
});
img.addEventListener("error", () => ($("page-loading").textContent = t("common.error")));

/** Size the stage: zoom 1 fits the width of the viewing area (portrait and landscape: the text is readable and
 * one scrolls down to read on); keep the image, ink canvas and notes layer in step. */
function layout() {
  const width = Math.max(200, Math.round((scroller.clientWidth - 32) * zoom));
  const height = Math.round(width * aspect);
  stage.style.width = `${width}px`;
  stage.style.height = `${height}px`;
  ink.resize(width, height);
}
window.addEventListener("resize", () => layout());
// The bars collapsing or the panel opening change the viewing area without a window resize.
new ResizeObserver(() => layout()).observe(scroller);

/** The point of the page (0..1 of its width and height) under the screen point (x, y). */
function anchorAt(x, y) {
  const r = stage.getBoundingClientRect();
  return { px: (x - r.left) / r.width, py: (y - r.top) / r.height };
}

/** Scroll so that the page point `anchor` is under the screen point (x, y) again. */
function keepAnchor(anchor, x, y) {
  const r = stage.getBoundingClientRect();
  scroller.scrollLeft += r.left + anchor.px * r.width - x;
  scroller.scrollTop += r.top + anchor.py * r.height - y;
}

function zoomTo(z) {
  const old = zoom;
  zoom = Math.min(MAX_ZOOM, Math.max(1, z));
  if (zoom === old) return false;
  const wantSize = zoom > 1.5 ? "zoom" : "tablet";
  if (doc && !img.src.includes(`size=${wantSize}`)) img.src = pageUrl(page, wantSize);
  root.dataset.zoom = zoom.toFixed(2);
  layout();
  return true;
}

/** Zoom keeping the page point under `focus` (a finger, the mouse; else the middle of the view) where it is. */
function setZoom(z, focus = null) {
  const rect = scroller.getBoundingClientRect();
  const f = focus ?? { x: rect.left + rect.width / 2, y: rect.top + rect.height / 2 };
  const anchor = anchorAt(f.x, f.y);
  if (zoomTo(z)) keepAnchor(anchor, f.x, f.y);
}

// --- reading mode: the bars collapse while one reads; a tap (or Esc) brings them back --------------------------

const chromeBtn = $("btn-chrome");

function setChrome(shown) {
  if (root.dataset.chrome === (shown ? "shown" : "hidden")) return;
  const before = stage.getBoundingClientRect().top;
  root.dataset.chrome = shown ? "shown" : "hidden";
  document.body.classList.toggle("is-reading", !shown);
  chromeBtn.hidden = shown;
  scroller.scrollTop += stage.getBoundingClientRect().top - before; // the text stays where the eyes are
  scrollMark = scroller.scrollTop;
}

/** Reading (scrolling, turning, zooming with the view tool) hides the bars, unless a panel is open. */
function reading() {
  if (ink.tool === "view" && $("panel").hidden) setChrome(false);
  scrollMark = scroller.scrollTop;
}

chromeBtn.addEventListener("click", () => setChrome(true));
let scrollMark = 0; // where the view was when the bars last changed: scrolling 48 px on from there is reading
scroller.addEventListener("scroll", () => {
  if (!gesture && Math.abs(scroller.scrollTop - scrollMark) > 48) reading();
}, { passive: true });

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
  setChrome(!on);
});

// --- gestures: draw, pan, swipe, pinch, tap, double tap -----------------------------------------------------

const pointers = new Map(); // pointerId -> {x, y}
let gesture = null; // {kind: draw|pan|pinch|laser, ...}
const TAP_MS = 300; // a second tap within this time (and 30 px) is a double tap
let lastTap = null; // {x, y, at}
let tapTimer = null;

function capture(e) {
  try {
    stage.setPointerCapture(e.pointerId);
  } catch {
    // a pointer the browser no longer tracks (it ended already): nothing to capture
  }
}

stage.addEventListener("pointerdown", (e) => {
  if (e.button > 0) return;
  pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
  capture(e);
  const rect = stage.getBoundingClientRect();
  if (pointers.size === 2) {
    if (gesture?.kind === "draw") ink.cancel();
    const [a, b] = [...pointers.values()];
    const mid = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
    gesture = { kind: "pinch", dist: Math.max(1, Math.hypot(a.x - b.x, a.y - b.y)), zoom, anchor: anchorAt(mid.x, mid.y) };
    return;
  }
  if (pointers.size > 2) return;
  if (presenter.laserOn && ink.tool === "view") {
    gesture = { kind: "laser" };
    presenter.pointer(...rel(e, rect));
  } else if (ink.down(e, rect)) {
    gesture = { kind: "draw" };
  } else {
    gesture = { kind: "pan", x: e.clientX, y: e.clientY, left: scroller.scrollLeft, top: scroller.scrollTop, at: performance.now(), moved: 0 };
  }
  e.preventDefault();
});

stage.addEventListener("pointermove", (e) => {
  if (!pointers.has(e.pointerId)) return;
  pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
  const rect = stage.getBoundingClientRect();
  if (gesture?.kind === "pinch" && pointers.size >= 2) {
    // The page point first under the fingers follows their midpoint (zoom and pan in one movement).
    const [a, b] = [...pointers.values()];
    zoomTo(gesture.zoom * (Math.hypot(a.x - b.x, a.y - b.y) / gesture.dist));
    keepAnchor(gesture.anchor, (a.x + b.x) / 2, (a.y + b.y) / 2);
  } else if (gesture?.kind === "draw") {
    ink.move(e, rect);
  } else if (gesture?.kind === "laser") {
    presenter.pointer(...rel(e, rect));
  } else if (gesture?.kind === "pan") {
    gesture.moved = Math.max(gesture.moved, Math.hypot(e.clientX - gesture.x, e.clientY - gesture.y));
    scroller.scrollLeft = gesture.left - (e.clientX - gesture.x);
    scroller.scrollTop = gesture.top - (e.clientY - gesture.y);
  }
});

/** A tap toggles the bars; a double tap zooms in on the point tapped (2.5x) or back to the width. */
function tapped(x, y) {
  const now = performance.now();
  if (lastTap && now - lastTap.at < TAP_MS && Math.hypot(x - lastTap.x, y - lastTap.y) < 30) {
    clearTimeout(tapTimer);
    lastTap = null;
    setZoom(zoom > 1.05 ? 1 : 2.5, { x, y });
    if (zoom > 1) reading();
    return;
  }
  lastTap = { x, y, at: now };
  clearTimeout(tapTimer);
  tapTimer = setTimeout(() => {
    lastTap = null;
    setChrome(root.dataset.chrome === "hidden");
  }, TAP_MS);
}

function endPointer(e) {
  if (!pointers.delete(e.pointerId)) return;
  const g = gesture;
  if (pointers.size > 0) return;
  gesture = null;
  // The bars collapse once a reading gesture ends (never during one: the view would jump under the finger).
  if (g?.kind === "pinch" || (g?.kind === "pan" && g.moved > 48)) reading();
  if (g?.kind === "draw") ink.up();
  else if (g?.kind === "laser") presenter.pointerEnd();
  else if (g?.kind === "pan" && e.type === "pointerup") {
    const dx = e.clientX - g.x;
    const dy = e.clientY - g.y;
    const quick = performance.now() - g.at;
    if (g.moved < 10 && quick < TAP_MS) tapped(e.clientX, e.clientY);
    else if (zoom <= 1.05 && Math.abs(dx) > 70 && Math.abs(dx) > 1.5 * Math.abs(dy) && quick < 800) step(dx < 0 ? 1 : -1);
  }
}
stage.addEventListener("pointerup", endPointer);
stage.addEventListener("pointercancel", (e) => {
  if (gesture?.kind === "draw") ink.cancel();
  endPointer(e);
});
scroller.addEventListener("wheel", (e) => {
  if (!e.ctrlKey) return;
  e.preventDefault();
  setZoom(zoom * (e.deltaY < 0 ? 1.1 : 1 / 1.1), { x: e.clientX, y: e.clientY });
}, { passive: false });

function rel(e, rect) {
  const clamp = (v) => Math.round(Math.min(1, Math.max(0, v)) * 10000) / 10000;
  return [clamp((e.clientX - rect.left) / rect.width), clamp((e.clientY - rect.top) / rect.height)];
}

document.addEventListener("keydown", (e) => {
  if (e.target.closest?.("input, textarea, select, dialog")) return;
  if (e.key === "Escape") {
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
    else setChrome(true);
    return;
  }
  const keys = { ArrowRight: 1, ArrowDown: 1, PageDown: 1, " ": 1, ArrowLeft: -1, ArrowUp: -1, PageUp: -1 };
  if (e.key in keys && zoom <= 1.05) {
    e.preventDefault();
    step(keys[e.key]);
  } else if (e.key === "Home" && doc) goTo(doc.id, 1);
  else if (e.key === "End" && doc) goTo(doc.id, doc.page_count);
  else if (e.key === "+" || e.key === "=") setZoom(zoom * 1.25);
  else if (e.key === "-") setZoom(zoom / 1.25);
  else if (e.key === "0") setZoom(1);
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
$("btn-zoom-in").addEventListener("click", () => setZoom(zoom * 1.25));
$("btn-zoom-out").addEventListener("click", () => setZoom(zoom / 1.25));
$("btn-fit").addEventListener("click", () => setZoom(1));
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
