// Annotations on the viewer's page: private ink, highlighter and pinned notes (own only) plus the presenter's
// shared ink. Geometry is page-relative (0..1 from the page's top-left corner), exactly what the server keeps.
import { del, get, patch, post } from "./api.js";
import { h, fill } from "./dom.js";
import { t } from "./i18n.js";
import { toast } from "./toast.js";

// Mirrors annotations/schemas.py (the server refuses any other colour).
export const PALETTES = {
  pen: ["#1c2430", "#1f4e8c", "#c62828", "#1e7a3d", "#8e24aa", "#ef6c00"],
  highlight: ["#ffeb3b", "#80deea", "#f48fb1", "#a5d6a7"],
  note: ["#ffeb3b", "#80deea", "#f48fb1", "#a5d6a7", "#ffcc80"],
};
const WIDTH = { pen: 0.0035, highlight: 0.018 };
const MAX_POINTS = 2000;
const round = (v) => Math.round(Math.min(1, Math.max(0, v)) * 10000) / 10000;

export class Ink {
  /**
   * canvas/notes: the overlay layers; ctx: {docId(), version(), page(), myId(), shareMode(), sendShared(page, kind, data)}.
   */
  constructor({ canvas, notes, dialog, ctx, onChange = () => {} }) {
    this.canvas = canvas;
    this.notes = notes;
    this.dialog = dialog;
    this.ctx = ctx;
    this.onChange = onChange;
    this.items = new Map(); // id -> annotation (own private ones and shared ink of this document version)
    this.tool = "view";
    this.colour = { pen: PALETTES.pen[2], highlight: PALETTES.highlight[0], note: PALETTES.note[0] };
    this.current = null; // the stroke being drawn
    this.editing = null;
    this.setupDialog();
  }

  get drawing() {
    return this.current !== null;
  }

  /** Fetch the annotations of the shown document version (own + shared). */
  async load() {
    const docId = this.ctx.docId();
    const list = await get(`/api/documents/${docId}/annotations?version=${this.ctx.version()}`);
    if (docId !== this.ctx.docId()) return;
    this.items = new Map(list.map((a) => [a.id, a]));
    this.render();
  }

  upsert(a) {
    if (a.document_id !== this.ctx.docId() || a.version !== this.ctx.version()) return;
    this.items.set(a.id, a);
    this.render();
  }

  remove(id) {
    if (this.items.delete(id)) this.render();
  }

  /** `annotation` socket event (the author's own other devices). */
  onPrivate({ type, annotation }) {
    if (type === "annotation.deleted") this.remove(annotation.id);
    else this.upsert(annotation);
  }

  /** Room events presenter.ink / presenter.ink_removed. */
  onRoomEvent(env) {
    if (env.type === "presenter.ink") this.upsert(env.data.annotation);
    else if (env.type === "presenter.ink_removed") this.remove(env.data.annotation_id);
  }

  mine() {
    const me = this.ctx.myId();
    return [...this.items.values()].filter((a) => a.author_id === me && !a.shared).sort((a, b) => a.page - b.page || a.id - b.id);
  }

  // --- drawing -------------------------------------------------------------------------------------

  resize(width, height) {
    const ratio = window.devicePixelRatio || 1;
    this.canvas.width = Math.max(1, Math.round(width * ratio));
    this.canvas.height = Math.max(1, Math.round(height * ratio));
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    this.render();
  }

  render() {
    const g = this.canvas.getContext("2d");
    const W = this.canvas.width;
    const H = this.canvas.height;
    g.clearRect(0, 0, W, H);
    const page = this.ctx.page();
    const here = [...this.items.values()].filter((a) => a.page === page);
    for (const a of here) if (a.kind === "highlight") this.paint(g, a.kind, a.data.strokes, W, H);
    for (const a of here) if (a.kind === "ink") this.paint(g, a.kind, a.data.strokes, W, H);
    if (this.current) this.paint(g, this.current.kind, [this.current.stroke], W, H);
    this.renderNotes(here.filter((a) => a.kind === "note"));
    this.canvas.dataset.count = String(here.length);
    this.onChange();
  }

  paint(g, kind, strokes, W, H) {
    g.save();
    g.lineCap = "round";
    g.lineJoin = "round";
    if (kind === "highlight") {
      g.globalAlpha = 0.4;
      g.globalCompositeOperation = "multiply";
    }
    for (const s of strokes) {
      const base = s.width * W;
      g.strokeStyle = s.color;
      g.fillStyle = s.color;
      const pts = s.points;
      if (pts.length === 1) {
        g.beginPath();
        g.arc(pts[0][0] * W, pts[0][1] * H, base / 2, 0, Math.PI * 2);
        g.fill();
        continue;
      }
      if (kind === "highlight") {
        g.lineWidth = base;
        g.beginPath();
        g.moveTo(pts[0][0] * W, pts[0][1] * H);
        for (const p of pts.slice(1)) g.lineTo(p[0] * W, p[1] * H);
        g.stroke();
        continue;
      }
      for (let i = 1; i < pts.length; i++) {
        const p = pts[i - 1];
        const q = pts[i];
        g.lineWidth = Math.max(0.6, base * (0.5 + (q[2] ?? 0.5)));
        g.beginPath();
        g.moveTo(p[0] * W, p[1] * H);
        g.lineTo(q[0] * W, q[1] * H);
        g.stroke();
      }
    }
    g.restore();
  }

  renderNotes(notes) {
    fill(
      this.notes,
      notes.map((a) =>
        h("button", {
          type: "button", class: "vw-pin", title: a.text, dataset: { id: a.id, testid: "note-pin" },
          style: { left: `${a.data.x * 100}%`, top: `${a.data.y * 100}%`, background: a.data.color },
          onclick: (e) => { e.stopPropagation(); this.tool === "eraser" ? this.erase(a) : this.openNote(a); },
        }, "✎"),
      ),
    );
  }

  // --- pointer input (called by viewer.js with page-relative coordinates) --------------------------

  point(e, rect) {
    return [round((e.clientX - rect.left) / rect.width), round((e.clientY - rect.top) / rect.height), round(e.pressure || 0.5)];
  }

  down(e, rect) {
    const [x, y] = this.point(e, rect);
    if (this.tool === "note") {
      this.openNote(null, { x, y });
      return false;
    }
    if (this.tool === "eraser") {
      this.eraseAt(x, y, rect);
      return false;
    }
    if (this.tool !== "pen" && this.tool !== "highlight") return false;
    const kind = this.tool === "pen" ? "ink" : "highlight";
    this.current = { kind, stroke: { points: [this.point(e, rect)], width: WIDTH[this.tool], color: this.colour[this.tool] } };
    this.render();
    return true;
  }

  move(e, rect) {
    if (!this.current) return;
    const events = typeof e.getCoalescedEvents === "function" ? e.getCoalescedEvents() : [e];
    const pts = this.current.stroke.points;
    for (const ev of events.length ? events : [e]) {
      const p = this.point(ev, rect);
      const last = pts[pts.length - 1];
      if (Math.hypot(p[0] - last[0], p[1] - last[1]) < 0.0015) continue;
      pts.push(p);
    }
    if (pts.length >= MAX_POINTS) this.up();
    else this.render();
  }

  cancel() {
    this.current = null;
    this.render();
  }

  /** pointerup: the stroke is saved (private over REST, shared through the presenter's socket event). */
  async up() {
    const done = this.current;
    this.current = null;
    if (!done) return;
    const page = this.ctx.page();
    const data = { strokes: [done.stroke] };
    const temp = { id: `tmp-${Date.now()}`, document_id: this.ctx.docId(), version: this.ctx.version(), page, kind: done.kind, data,
      text: "", shared: false, author_id: this.ctx.myId() };
    this.items.set(temp.id, temp);
    this.render();
    try {
      const saved = this.ctx.shareMode()
        ? await this.ctx.sendShared(page, done.kind, data)
        : await post(`/api/documents/${this.ctx.docId()}/annotations`, { page, version: this.ctx.version(), kind: done.kind, data });
      this.items.delete(temp.id);
      this.upsert(saved);
    } catch (err) {
      this.items.delete(temp.id);
      this.render();
      toast(err.message, "error");
    }
  }

  // --- eraser and notes ----------------------------------------------------------------------------

  eraseAt(x, y, rect) {
    const tol = 14 / rect.width;
    const aspect = rect.height / rect.width;
    const page = this.ctx.page();
    const me = this.ctx.myId();
    const hit = [...this.items.values()].reverse().find((a) => a.page === page && a.author_id === me && a.kind !== "note" &&
      a.data.strokes.some((s) => s.points.some((p, i) => near(x, y, p, s.points[i - 1] ?? p, aspect) < tol + s.width / 2)));
    if (hit) this.erase(hit);
  }

  async erase(a) {
    if (a.author_id !== this.ctx.myId() || typeof a.id !== "number") return;
    this.remove(a.id);
    try {
      await del(`/api/annotations/${a.id}`);
      toast(t("viewer.deleted"));
    } catch (err) {
      this.items.set(a.id, a);
      this.render();
      toast(err.message, "error");
    }
  }

  setupDialog() {
    const d = this.dialog;
    d.querySelector("#note-cancel").addEventListener("click", () => d.close());
    d.querySelector("#note-delete").addEventListener("click", () => {
      d.close();
      if (this.editing?.annotation) this.erase(this.editing.annotation);
    });
    d.querySelector("#note-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const text = d.querySelector("#note-text").value.trim();
      d.close();
      if (text) this.saveNote(text);
    });
  }

  openNote(annotation, at = null) {
    const mine = !annotation || annotation.author_id === this.ctx.myId();
    this.editing = { annotation, at, page: this.ctx.page() };
    const area = this.dialog.querySelector("#note-text");
    area.value = annotation?.text ?? "";
    area.readOnly = !mine;
    this.dialog.querySelector("#note-delete").hidden = !annotation || !mine;
    this.dialog.querySelector("#note-save").hidden = !mine;
    this.dialog.showModal();
    area.focus();
  }

  async saveNote(text) {
    const { annotation, at, page } = this.editing ?? {};
    try {
      const saved = annotation
        ? await patch(`/api/annotations/${annotation.id}`, { text })
        : await post(`/api/documents/${this.ctx.docId()}/annotations`, {
          page, version: this.ctx.version(), kind: "note", data: { x: at.x, y: at.y, color: this.colour.note }, text });
      this.upsert(saved);
      toast(t("viewer.saved"));
    } catch (err) {
      toast(err.message, "error");
    }
  }
}

/** Distance from (x, y) to the segment a-b, in page-width units (y scaled by the page's aspect). */
function near(x, y, a, b, aspect) {
  const [ax, ay, bx, by, px, py] = [a[0], a[1] * aspect, b[0], b[1] * aspect, x, y * aspect];
  const dx = bx - ax;
  const dy = by - ay;
  const len = dx * dx + dy * dy;
  const k = len ? Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len)) : 0;
  return Math.hypot(px - (ax + k * dx), py - (ay + k * dy));
}

