// The page on the tablet: its size (zoom 1 fits the width of the viewing area), pinch-zoom and pan, taps,
// double taps and swipes, and the reading mode (the bars collapse while one reads; a tap or Esc brings them
// back). viewer.js owns the document and the page: this module asks it to turn pages (onStep) and to show the
// page at another image size (onSize: "tablet" or, past 1.5x, the sharper "zoom").
const MAX_ZOOM = 4;
const TAP_MS = 300; // a second tap within this time (and 30 px) is a double tap

/** A pointer's position on the page, 0..1 of its width and height (what the laser pointer sends). */
function rel(e, rect) {
  const clamp = (v) => Math.round(Math.min(1, Math.max(0, v)) * 10000) / 10000;
  return [clamp((e.clientX - rect.left) / rect.width), clamp((e.clientY - rect.top) / rect.height)];
}

export class PageView {
  /** els: {root, scroller, stage, img, panel, chromeBtn}; ink, presenter: viewer-ink.js, viewer-presenter.js */
  constructor({ els, ink, presenter, onStep, onSize }) {
    Object.assign(this, els);
    this.ink = ink;
    this.presenter = presenter;
    this.onStep = onStep;
    this.onSize = onSize;
    this.zoom = 1; // 1 = the page fits the width of the viewing area
    this.aspect = 1.4142; // height / width of the page image (A4 until the image says otherwise)
    this.pointers = new Map(); // pointerId -> {x, y}
    this.gesture = null; // {kind: draw|pan|pinch|laser, ...}
    this.lastTap = null; // {x, y, at}
    this.tapTimer = null;
    this.scrollMark = 0; // where the view was when the bars last changed: scrolling 48 px on from there is reading
    this.listen();
  }

  /** The image size to show at the current zoom. */
  get size() {
    return this.zoom > 1.5 ? "zoom" : "tablet";
  }

  /** Size the stage: zoom 1 fits the width of the viewing area (portrait and landscape: the text is readable and
   * one scrolls down to read on); keep the image, ink canvas and notes layer in step. */
  layout() {
    const width = Math.max(200, Math.round((this.scroller.clientWidth - 32) * this.zoom));
    const height = Math.round(width * this.aspect);
    this.stage.style.width = `${width}px`;
    this.stage.style.height = `${height}px`;
    this.ink.resize(width, height);
  }

  /** The page image loaded: its proportions size the stage. */
  loaded() {
    if (this.img.naturalWidth) this.aspect = this.img.naturalHeight / this.img.naturalWidth;
    this.layout();
  }

  /** The point of the page (0..1 of its width and height) under the screen point (x, y). */
  anchorAt(x, y) {
    const r = this.stage.getBoundingClientRect();
    return { px: (x - r.left) / r.width, py: (y - r.top) / r.height };
  }

  /** Scroll so that the page point `anchor` is under the screen point (x, y) again. */
  keepAnchor(anchor, x, y) {
    const r = this.stage.getBoundingClientRect();
    this.scroller.scrollLeft += r.left + anchor.px * r.width - x;
    this.scroller.scrollTop += r.top + anchor.py * r.height - y;
  }

  zoomTo(z) {
    const old = this.zoom;
    this.zoom = Math.min(MAX_ZOOM, Math.max(1, z));
    if (this.zoom === old) return false;
    if (!this.img.src.includes(`size=${this.size}`)) this.onSize(this.size);
    this.root.dataset.zoom = this.zoom.toFixed(2);
    this.layout();
    return true;
  }

  /** Zoom keeping the page point under `focus` (a finger, the mouse; else the middle of the view) where it is. */
  setZoom(z, focus = null) {
    const rect = this.scroller.getBoundingClientRect();
    const f = focus ?? { x: rect.left + rect.width / 2, y: rect.top + rect.height / 2 };
    const anchor = this.anchorAt(f.x, f.y);
    if (this.zoomTo(z)) this.keepAnchor(anchor, f.x, f.y);
  }

  // --- reading mode: the bars collapse while one reads; a tap (or Esc) brings them back ------------------------

  setChrome(shown) {
    if (this.root.dataset.chrome === (shown ? "shown" : "hidden")) return;
    const before = this.stage.getBoundingClientRect().top;
    this.root.dataset.chrome = shown ? "shown" : "hidden";
    document.body.classList.toggle("is-reading", !shown);
    this.chromeBtn.hidden = shown;
    this.scroller.scrollTop += this.stage.getBoundingClientRect().top - before; // the text stays where the eyes are
    this.scrollMark = this.scroller.scrollTop;
  }

  /** Reading (scrolling, turning, zooming with the view tool) hides the bars, unless a panel is open. */
  reading() {
    if (this.ink.tool === "view" && this.panel.hidden) this.setChrome(false);
    this.scrollMark = this.scroller.scrollTop;
  }

  // --- gestures: draw, pan, swipe, pinch, tap, double tap ---------------------------------------------------

  capture(e) {
    try {
      this.stage.setPointerCapture(e.pointerId);
    } catch {
      // a pointer the browser no longer tracks (it ended already): nothing to capture
    }
  }

  down(e) {
    if (e.button > 0) return;
    const { pointers, ink, presenter } = this;
    pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    this.capture(e);
    const rect = this.stage.getBoundingClientRect();
    if (pointers.size === 2) {
      if (this.gesture?.kind === "draw") ink.cancel();
      const [a, b] = [...pointers.values()];
      const mid = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
      this.gesture = { kind: "pinch", dist: Math.max(1, Math.hypot(a.x - b.x, a.y - b.y)), zoom: this.zoom, anchor: this.anchorAt(mid.x, mid.y) };
      return;
    }
    if (pointers.size > 2) return;
    if (presenter.laserOn && ink.tool === "view") {
      this.gesture = { kind: "laser" };
      presenter.pointer(...rel(e, rect));
    } else if (ink.down(e, rect)) {
      this.gesture = { kind: "draw" };
    } else {
      const { scroller } = this;
      this.gesture = { kind: "pan", x: e.clientX, y: e.clientY, left: scroller.scrollLeft, top: scroller.scrollTop, at: performance.now(), moved: 0 };
    }
    e.preventDefault();
  }

  move(e) {
    if (!this.pointers.has(e.pointerId)) return;
    this.pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    const rect = this.stage.getBoundingClientRect();
    const g = this.gesture;
    if (g?.kind === "pinch" && this.pointers.size >= 2) {
      // The page point first under the fingers follows their midpoint (zoom and pan in one movement).
      const [a, b] = [...this.pointers.values()];
      this.zoomTo(g.zoom * (Math.hypot(a.x - b.x, a.y - b.y) / g.dist));
      this.keepAnchor(g.anchor, (a.x + b.x) / 2, (a.y + b.y) / 2);
    } else if (g?.kind === "draw") {
      this.ink.move(e, rect);
    } else if (g?.kind === "laser") {
      this.presenter.pointer(...rel(e, rect));
    } else if (g?.kind === "pan") {
      g.moved = Math.max(g.moved, Math.hypot(e.clientX - g.x, e.clientY - g.y));
      this.scroller.scrollLeft = g.left - (e.clientX - g.x);
      this.scroller.scrollTop = g.top - (e.clientY - g.y);
    }
  }

  /** A tap toggles the bars; a double tap zooms in on the point tapped (2.5x) or back to the width. */
  tapped(x, y) {
    const now = performance.now();
    const last = this.lastTap;
    if (last && now - last.at < TAP_MS && Math.hypot(x - last.x, y - last.y) < 30) {
      clearTimeout(this.tapTimer);
      this.lastTap = null;
      this.setZoom(this.zoom > 1.05 ? 1 : 2.5, { x, y });
      if (this.zoom > 1) this.reading();
      return;
    }
    this.lastTap = { x, y, at: now };
    clearTimeout(this.tapTimer);
    this.tapTimer = setTimeout(() => {
      this.lastTap = null;
      this.setChrome(this.root.dataset.chrome === "hidden");
    }, TAP_MS);
  }

  end(e) {
    if (!this.pointers.delete(e.pointerId)) return;
    const g = this.gesture;
    if (this.pointers.size > 0) return;
    this.gesture = null;
    // The bars collapse once a reading gesture ends (never during one: the view would jump under the finger).
    if (g?.kind === "pinch" || (g?.kind === "pan" && g.moved > 48)) this.reading();
    if (g?.kind === "draw") this.ink.up();
    else if (g?.kind === "laser") this.presenter.pointerEnd();
    else if (g?.kind === "pan" && e.type === "pointerup") {
      const dx = e.clientX - g.x;
      const dy = e.clientY - g.y;
      const quick = performance.now() - g.at;
      if (g.moved < 10 && quick < TAP_MS) this.tapped(e.clientX, e.clientY);
      else if (this.zoom <= 1.05 && Math.abs(dx) > 70 && Math.abs(dx) > 1.5 * Math.abs(dy) && quick < 800) this.onStep(dx < 0 ? 1 : -1);
    }
  }

  listen() {
    const { stage, scroller } = this;
    window.addEventListener("resize", () => this.layout());
    // The bars collapsing or the panel opening change the viewing area without a window resize.
    new ResizeObserver(() => this.layout()).observe(scroller);
    this.chromeBtn.addEventListener("click", () => this.setChrome(true));
    scroller.addEventListener("scroll", () => {
      if (!this.gesture && Math.abs(scroller.scrollTop - this.scrollMark) > 48) this.reading();
    }, { passive: true });
    stage.addEventListener("pointerdown", (e) => this.down(e));
    stage.addEventListener("pointermove", (e) => this.move(e));
    stage.addEventListener("pointerup", (e) => this.end(e));
    stage.addEventListener("pointercancel", (e) => {
      if (this.gesture?.kind === "draw") this.ink.cancel();
      this.end(e);
    });
    scroller.addEventListener("wheel", (e) => {
      if (!e.ctrlKey) return;
      e.preventDefault();
      this.setZoom(this.zoom * (e.deltaY < 0 ? 1.1 : 1 / 1.1), { x: e.clientX, y: e.clientY });
    }, { passive: false });
  }
}
