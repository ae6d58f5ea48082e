// Presenter mode in the viewer: follow the presenter (default on), "back to presenter", the presenter's own
// controls (present this page, stop, shared ink, laser pointer) and the remote laser dot.
import { get } from "./api.js";
import { t } from "./i18n.js";
import { toast } from "./toast.js";

const POINTER_INTERVAL_MS = 50; // ≤ 20 positions a second (the server drops more than 30)
const POINTER_IDLE_MS = 2500;

export class Presenter {
  /**
   * ctx: {meetingId, request(name, payload), docId(), page(), myId(), goTo(docId, page), restricted(), titleOf(docId)}.
   */
  constructor(ctx) {
    this.ctx = ctx;
    this.slice = null;
    this.mayPresent = false;
    this.el = {
      bar: document.getElementById("presenter-bar"),
      text: document.getElementById("presenter-text"),
      follow: document.getElementById("follow"),
      back: document.getElementById("btn-to-presenter"),
      controls: document.getElementById("present-controls"),
      present: document.getElementById("btn-present"),
      stop: document.getElementById("btn-stop-present"),
      sharedWrap: document.getElementById("shared-ink-wrap"),
      shared: document.getElementById("shared-ink"),
      laserWrap: document.getElementById("laser-wrap"),
      laser: document.getElementById("laser"),
      dot: document.getElementById("laser-dot"),
      root: document.getElementById("viewer"),
    };
    this.lastSent = 0;
    this.pending = null;
    this.dotTimer = null;
    this.el.follow.addEventListener("change", () => {
      this.el.root.dataset.following = String(this.following);
      if (this.following) this.sync();
      this.refresh();
    });
    this.el.back.addEventListener("click", () => {
      this.el.follow.checked = true;
      this.el.root.dataset.following = "true";
      this.sync();
      this.refresh();
    });
    this.el.present.addEventListener("click", () => this.act("presenter:start", { document_id: ctx.docId(), page: ctx.page() }));
    this.el.stop.addEventListener("click", () => this.act("presenter:stop", {}));
  }

  get following() {
    return this.el.follow.checked;
  }

  get presenting() {
    return Boolean(this.slice && this.slice.presenter_user_id === this.ctx.myId());
  }

  /** Shared ink mode: strokes go to the room instead of my private notes. */
  get shareInk() {
    return this.presenting && this.slice.document_id === this.ctx.docId() && this.el.shared.checked;
  }

  get laserOn() {
    return this.presenting && this.slice.document_id === this.ctx.docId() && this.el.laser.checked;
  }

  async loadPermission() {
    try {
      const status = await get(`/api/meetings/${this.ctx.meetingId}/presenter`);
      this.mayPresent = status.may_present && status.meeting_state === "started"; // the server presents only in session
    } catch {
      this.mayPresent = false;
    }
    this.refresh();
  }

  /** The snapshot slice changed (join, sync or a presenter.changed event). */
  update(slice) {
    const before = this.slice;
    this.slice = slice ?? null;
    if (this.following && this.slice && !this.presenting) {
      const moved = !before || before.document_id !== this.slice.document_id || before.page !== this.slice.page;
      if (moved || !this.inSync()) this.sync();
    }
    if (!this.slice) this.hideDot();
    this.refresh();
  }

  inSync() {
    return !this.slice || (this.slice.document_id === this.ctx.docId() && this.slice.page === this.ctx.page());
  }

  sync() {
    if (this.slice && !this.inSync()) this.ctx.goTo(this.slice.document_id, this.slice.page);
  }

  /** The reader turned a page by hand: a follower stops following; the presenter takes the room along. */
  onLocalNavigation(docId, page) {
    if (this.presenting && this.slice.document_id === docId && this.slice.page !== page) {
      this.act("presenter:page", { page });
    } else if (this.slice && !this.presenting && this.following && !this.inSync()) {
      this.el.follow.checked = false;
      this.el.root.dataset.following = "false";
    }
    this.refresh();
  }

  refresh() {
    const { slice, el } = this;
    el.bar.hidden = !slice;
    if (slice) {
      // The banner names the document: after the presenter switches documents, the page number is the new one's.
      const title = this.ctx.titleOf(slice.document_id);
      const args = { name: slice.presenter_name, page: slice.page, title };
      el.text.title = el.text.textContent = title ? t(this.presenting ? "tablet.you_present_doc" : "tablet.presenting_doc", args)
        : this.presenting ? `${t("viewer.you_present")} · ${t("viewer.page_n", { n: slice.page })}` : t("viewer.presenting", args);
    }
    el.back.hidden = !slice || this.presenting || this.inSync();
    el.follow.closest("label").hidden = this.presenting;
    const here = this.presenting && slice.document_id === this.ctx.docId();
    el.present.hidden = here || this.ctx.restricted(); // the server never presents a restricted document
    el.stop.hidden = !this.presenting;
    el.sharedWrap.hidden = !here;
    el.laserWrap.hidden = !here;
    el.controls.hidden = !this.mayPresent || el.present.hidden;
    el.root.dataset.presenting = String(this.presenting);
    el.root.dataset.presenterPage = slice ? String(slice.page) : "";
  }

  async act(name, extra) {
    try {
      await this.ctx.request(name, { meeting_id: this.ctx.meetingId, ...extra });
    } catch (err) {
      toast(err.message, "error");
    }
  }

  // --- laser pointer -------------------------------------------------------------------------------

  /** While the presenter's finger/pen is down with the laser on: send positions, at most every 50 ms. */
  pointer(x, y) {
    if (!this.laserOn) return;
    const now = performance.now();
    this.pending = { x, y };
    if (now - this.lastSent < POINTER_INTERVAL_MS) return;
    this.lastSent = now;
    const p = this.pending;
    this.pending = null;
    this.ctx.emit("presenter:pointer", { meeting_id: this.ctx.meetingId, x: p.x, y: p.y });
    this.showDot(p.x, p.y);
  }

  pointerEnd() {
    if (!this.laserOn) return;
    this.ctx.emit("presenter:pointer", { meeting_id: this.ctx.meetingId, x: null, y: null });
    this.hideDot();
  }

  /** `pointer` from the room. */
  onPointer(p) {
    if (p.document_id !== this.ctx.docId() || p.page !== this.ctx.page() || p.x === null || p.y === null) {
      this.hideDot();
      return;
    }
    this.showDot(p.x, p.y);
  }

  showDot(x, y) {
    const { dot } = this.el;
    dot.style.left = `${x * 100}%`;
    dot.style.top = `${y * 100}%`;
    dot.hidden = false;
    clearTimeout(this.dotTimer);
    this.dotTimer = setTimeout(() => this.hideDot(), POINTER_IDLE_MS);
  }

  hideDot() {
    this.el.dot.hidden = true;
  }
}
