// The one live connection of a meeting page (live page, hall display, document viewer, minutes): the socket.io
// connection (websocket only), meeting:join with its snapshot, seq-numbered events applied in order through the
// shared reducer (live-state.js), a gap (a seq jump) answered by meeting:sync (or the fresh snapshot the server
// sends when the page is too far behind), a fresh join after every reconnect, and meeting.access_revoked.
// The pages only subscribe: onSnapshot, onEvent(type), onChange, onStatus, onPresence, onRevoked, onJoinError.
// Protocol: docs/realtime-protocol.md ("Client rules").
import { io } from "/static/vendor/socket.io.esm.min.js";
import { t } from "./i18n.js";
import { LiveState } from "./live-state.js";

const ACK_TIMEOUT_MS = 10000;

export class LiveConnection {
  /**
   * meetingId: the meeting followed. displayToken: the hall display's token (it connects with it instead of the
   * session cookie). retryMs: a join that failed for a passing reason is tried again after this long.
   */
  constructor({ meetingId, displayToken = null, gapWaitMs = 300, retryMs = 2000, syncRetryMs = 1000, watchNetwork = true } = {}) {
    this.meetingId = meetingId;
    this.retryMs = retryMs;
    this.syncRetryMs = syncRetryMs;
    this.me = null;
    this.online = new Set();
    this.revoked = false;
    this.refused = false; // the server refused the connection itself (session expired, display token revoked)
    this.clockOffset = null; // server clock - local clock (ms), estimated from the events' `at`
    this.stats = { joins: 0, syncs: 0, snapshots: 0 }; // read by the browser tests
    this.generation = 0; // one per connection: an answer to an older connection's join is ignored
    this.handlers = new Map(); // name -> [fn]
    this.live = new LiveState({ gapWaitMs, onChange: (state, info) => this.changed(state, info), onGap: (since) => this.sync(since) });
    this.socket = io({
      transports: ["websocket"],
      autoConnect: false,
      ...(displayToken ? { auth: { display_token: displayToken } } : {}),
    });
    this.socket.on("connect", () => this.join());
    this.socket.on("disconnect", (reason) => this.lost(reason));
    this.socket.on("connect_error", (err) => this.connectError(err));
    this.socket.on("event", (env) => this.received(env));
    // A restricted document changed: said to its readers only, with no seq (docs/realtime-protocol.md `documents`).
    this.socket.on("documents", (msg) => {
      if (msg?.meeting_id === this.meetingId) this.emit("documents", msg);
    });
    this.socket.on("presence", (msg) => {
      if (msg?.meeting_id !== this.meetingId) return;
      this.online = new Set(msg.online ?? []);
      this.emit("presence", this.online);
    });
    if (watchNetwork) {
      // The browser knows before the socket does when the network is gone (a tablet loses its Wi-Fi).
      window.addEventListener("offline", () => {
        this.status(false, "offline");
        this.socket.disconnect();
      });
      window.addEventListener("online", () => {
        if (!this.socket.connected && !this.revoked) this.socket.connect();
      });
    }
  }

  get state() {
    return this.live.state;
  }

  get seq() {
    return this.live.seq;
  }

  get connected() {
    return this.socket.connected;
  }

  /** The server's clock (timers): the local clock corrected by what the events' `at` say. */
  now() {
    return Date.now() + (this.clockOffset ?? 0);
  }

  start() {
    if (navigator.onLine === false) this.status(false, "offline");
    this.socket.connect();
    return this;
  }

  // --- subscriptions ----------------------------------------------------------------------------------------

  on(name, fn) {
    if (!this.handlers.has(name)) this.handlers.set(name, []);
    this.handlers.get(name).push(fn);
    return this;
  }

  /** fn({meeting_id, document_id?}): a restricted document this user reads (or no longer reads) changed. */
  onDocuments(fn) {
    return this.on("documents", fn);
  }

  /** fn(state, {reset: true, events, first}): a snapshot came in (join, reconnect, a sync too far behind). */
  onSnapshot(fn) {
    return this.on("snapshot", fn);
  }

  /** fn(env, state) for each applied event of `type` ("*": every type; `hidden` placeholders never). */
  onEvent(type, fn) {
    return this.on(`event:${type}`, fn);
  }

  /** fn(state, {reset, events}): after anything changed the state (a snapshot or applied events). */
  onChange(fn) {
    return this.on("change", fn);
  }

  /** fn({connected, reason, message}): reason is joined; offline (the browser's network is gone), lost (the
   *  connection dropped; socket.io reconnects), unreachable (a connection attempt failed), closed (by the
   *  server: no reconnect) or refused (the server refused the connection; `message` says why). */
  onStatus(fn) {
    return this.on("status", fn);
  }

  onPresence(fn) {
    return this.on("presence", fn);
  }

  /** fn(): this socket may no longer follow the meeting (removed, role changed, draft, token revoked). */
  onRevoked(fn) {
    return this.on("revoked", fn);
  }

  /** fn(err): the join was refused for good (forbidden, not_found) or failed ({code, message}). */
  onJoinError(fn) {
    return this.on("join_error", fn);
  }

  emit(name, ...args) {
    for (const fn of this.handlers.get(name) ?? []) fn(...args);
  }

  // --- requests ---------------------------------------------------------------------------------------------

  /** Emit with an ack; resolves to the ack's data, rejects with {code, message}. */
  request(name, payload) {
    return new Promise((resolve, reject) => {
      if (!this.socket.connected) {
        reject({ code: "offline", message: t("live.offline") });
        return;
      }
      this.socket.timeout(ACK_TIMEOUT_MS).emit(name, payload, (err, ack) => {
        if (err) reject({ code: "timeout", message: t("common.network") });
        else if (ack?.ok) resolve(ack.data);
        else reject(ack?.error ?? { code: "error", message: t("common.error") });
      });
    });
  }

  // --- the protocol -----------------------------------------------------------------------------------------

  async join() {
    const generation = ++this.generation;
    this.live.suspend(); // buffer what arrives until the snapshot is in
    this.stats.joins += 1;
    try {
      const data = await this.request("meeting:join", { meeting_id: this.meetingId });
      if (generation !== this.generation) return; // the connection this join was for is gone
      this.me = data.me ?? null;
      this.online = new Set(data.online ?? []);
      this.revoked = false;
      this.first = this.stats.snapshots === 0;
      this.live.reset(data.snapshot, data.seq);
      this.status(true, "joined");
    } catch (err) {
      if (generation !== this.generation) return;
      this.emit("join_error", err);
      const final = err.code === "forbidden" || err.code === "not_found";
      if (!final) {
        setTimeout(() => {
          if (generation === this.generation && this.socket.connected) this.join();
        }, this.retryMs);
      }
    }
  }

  async sync(since) {
    const generation = this.generation;
    this.stats.syncs += 1;
    try {
      const result = await this.request("meeting:sync", { meeting_id: this.meetingId, since });
      if (generation !== this.generation) return;
      this.first = false;
      this.live.applySync(result);
    } catch {
      if (generation !== this.generation) return;
      setTimeout(() => {
        if (generation === this.generation && this.socket.connected) this.live.checkGap(); // try again
      }, this.syncRetryMs);
    }
  }

  received(env) {
    if (env?.meeting_id !== this.meetingId) return;
    if (env.type === "meeting.access_revoked") {
      this.revoked = true;
      this.live.suspend();
      this.emit("revoked");
      return;
    }
    const at = Date.parse(env.at ?? "");
    // Delivery only delays an event, so the largest (at - now) seen is the best estimate of the offset.
    if (!Number.isNaN(at)) this.clockOffset = Math.max(this.clockOffset ?? -Infinity, at - Date.now());
    this.live.push(env);
  }

  /** The page redraws first (change), then hears of a snapshot, then of each event applied. */
  changed(state, info) {
    this.emit("change", state, info);
    if (info.reset) {
      this.stats.snapshots += 1;
      this.emit("snapshot", state, { ...info, first: Boolean(this.first) });
    }
    for (const env of info.events ?? []) {
      if (env.type === "hidden") continue;
      this.emit(`event:${env.type}`, env, state);
      this.emit("event:*", env, state);
    }
  }

  lost(reason) {
    this.generation += 1;
    this.live.suspend();
    this.clockOffset = null;
    // The server closes a display whose token was revoked; socket.io does not reconnect after that.
    this.status(false, reason === "io server disconnect" ? "closed" : "lost");
  }

  connectError(err) {
    // Not active any more: the server refused this connection (no session, token revoked); no automatic retry.
    this.refused = !this.socket.active;
    this.status(false, this.refused ? "refused" : "unreachable", err?.data?.message ?? null);
  }

  status(connected, reason, message = null) {
    this.emit("status", { connected, reason, message });
  }
}
