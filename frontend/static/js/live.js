// The live meeting page: socket.io connection, join/sync, pushed events, presence and the chair's console.
// The domain parts (votes, speakers, documents, remote video, minutes/display, conclusions) live in their own
// modules; each gets the same small context and is rendered from the same state.
import { io } from "/static/vendor/socket.io.esm.min.js";
import { confirmDialog } from "./confirm.js";
import { t } from "./i18n.js";
import * as conclusion from "./live-conclusion.js";
import * as docs from "./live-docs.js";
import * as notify from "./live-notify.js";
import * as speakers from "./live-speakers.js";
import { LiveState } from "./live-state.js";
import { initTabs } from "./live-tabs.js";
import * as video from "./live-video.js";
import * as view from "./live-view.js";
import * as voteConsole from "./live-votes-console.js";
import * as ceremony from "./key-ceremony.js";
import * as votes from "./live-votes.js";
import * as sheet from "./vote-sheet.js";
import { toast } from "./toast.js";

const root = document.getElementById("live");
const meetingId = Number(root.dataset.meetingId);
const banner = document.getElementById("offline-banner");
const ACK_TIMEOUT_MS = 10000;
const MODULES = [votes, voteConsole, ceremony, sheet, speakers, docs, video, notify, conclusion];

let me = null;
let online = new Set();
let joining = false;
let clockOffset = null; // server clock - local clock (ms), estimated from pushed events

const live = new LiveState({ onChange, onGap: requestSync });
const socket = io({ transports: ["websocket"], autoConnect: false });
const tabs = initTabs(meetingId);

/** What the modules get: who I am, the state, acks over the socket and a way to re-render. */
const ctx = {
  meetingId,
  socket,
  tabs,
  request,
  get me() { return me; },
  get state() { return live.state; },
  get online() { return online; },
  /** The server's clock (for timers): local clock corrected by what the events' `at` say. */
  now: () => Date.now() + (clockOffset ?? 0),
  rerender: () => { if (live.state) render(live.state); },
};

// Exposed for debugging and the browser tests (read-only use).
window.ecabinetLive = { live, socket, chimes: sheet.chimeStats, get me() { return me; }, get online() { return online; } };

function setOffline(offline) {
  banner.hidden = !offline;
  root.dataset.connected = String(!offline);
}

/** Emit with an ack; resolves to the ack's data, rejects with {code, message}. */
function request(name, payload) {
  return new Promise((resolve, reject) => {
    if (!socket.connected) {
      reject({ code: "offline", message: t("live.offline") });
      return;
    }
    socket.timeout(ACK_TIMEOUT_MS).emit(name, payload, (err, ack) => {
      if (err) reject({ code: "timeout", message: t("common.network") });
      else if (ack?.ok) resolve(ack.data);
      else reject(ack?.error ?? { code: "error", message: t("common.error") });
    });
  });
}

async function join() {
  if (joining) return;
  joining = true;
  live.suspend(); // buffer what arrives until the snapshot is in
  try {
    const data = await request("meeting:join", { meeting_id: meetingId });
    me = data.me;
    online = new Set(data.online ?? []);
    live.reset(data.snapshot, data.seq);
    setOffline(false);
    root.dataset.ready = "true";
  } catch (err) {
    if (err.code === "forbidden" || err.code === "not_found") {
      document.getElementById("join-error").textContent = err.message;
      document.getElementById("join-error").hidden = false;
    } else {
      toast(err.message, "error");
      if (socket.connected) setTimeout(join, 2000);
    }
  } finally {
    joining = false;
  }
}

async function requestSync(since) {
  try {
    live.applySync(await request("meeting:sync", { meeting_id: meetingId, since }));
  } catch (err) {
    if (socket.connected) setTimeout(() => live.checkGap(), 1000); // try again shortly
  }
}

function onChange(state, info) {
  render(state);
  for (const module of MODULES) module.onEvents?.(info, state);
}

// Parts of the page are still drawn afresh on a live event; if the focused control was among them, focus its
// successor (same test id and ids) so a keyboard or screen-reader user keeps their place.
const FOCUS_KEYS = ["data-testid", "data-option-id", "data-item-id", "data-vote-id", "data-user-id", "data-request-id"];

function focusSelector(el) {
  if (!el || el === document.body || !root.contains(el)) return null;
  if (el.id) return `#${CSS.escape(el.id)}`;
  const parts = FOCUS_KEYS.filter((a) => el.hasAttribute(a)).map((a) => `[${a}="${CSS.escape(el.getAttribute(a))}"]`);
  return parts.length ? el.tagName.toLowerCase() + parts.join("") : null;
}

function render(state) {
  const focused = document.activeElement;
  const selector = focusSelector(focused);
  draw(state);
  if (selector && !focused.isConnected) root.querySelector(selector)?.focus({ preventScroll: true });
}

function draw(state) {
  if (!state?.meeting) return;
  root.dataset.seq = String(live.seq);
  root.dataset.meetingState = state.meeting.state;
  view.renderHeader(state.meeting);
  view.renderCurrent(state);
  const mayPick = me?.can_conduct && state.meeting.state === "started";
  view.renderAgenda(state, mayPick ? activate : null);
  view.renderQuorum(state);
  view.renderCheckIn(state, me, checkIn);
  view.renderParticipants(state, me, online, video.participantActions);
  view.renderConsole(state, me);
  document.getElementById("console-hint").hidden = !mayPick;
  for (const module of MODULES) module.render(state);
}

// --- actions ---------------------------------------------------------------------------------------

async function act(name, extra = {}, button = null) {
  if (button) button.disabled = true;
  try {
    await request(name, { meeting_id: meetingId, ...extra });
  } catch (err) {
    toast(err.message, "error");
  } finally {
    if (button) button.disabled = false;
    if (live.state) render(live.state); // restore the right enabled/disabled states
  }
}

function activate(item) {
  act("agenda:activate", { item_id: item.id });
}

function checkIn(event) {
  act("attendance:check_in", {}, event.currentTarget);
}

// Starting without quorum: the same warning as opening a vote (the session needs 2/3 of all members). The server
// decides (it refuses with no_quorum unless force is sent); the page asks first when it already knows.
const askForceStart = (q) => confirmDialog(t("console.no_quorum", { present: q.present, total: q.total, required: q.required }),
  { okLabel: t("console.force_start"), danger: true });

document.getElementById("btn-start").addEventListener("click", async (e) => {
  const button = e.currentTarget;
  const q = live.state?.quorum;
  const known = Boolean(q && !q.reached);
  if (known && !(await askForceStart(q))) return;
  button.disabled = true;
  try {
    await request("meeting:start", { meeting_id: meetingId, force: known });
  } catch (err) {
    // The quorum changed since the page last heard (someone left): ask now, with the server's counts.
    const ask = err.code === "no_quorum" && !known && err.details;
    if (!ask) toast(err.message, "error");
    else if (await askForceStart(err.details)) {
      await request("meeting:start", { meeting_id: meetingId, force: true }).catch((again) => toast(again.message, "error"));
    }
  } finally {
    button.disabled = false;
    if (live.state) render(live.state);
  }
});

// The dock (chair's console, open-vote banner) is fixed at the bottom: keep the page and toasts clear of it.
new ResizeObserver(([entry]) => {
  document.documentElement.style.setProperty("--dock-h", `${Math.ceil(entry.target.getBoundingClientRect().height)}px`);
}).observe(document.getElementById("dock"));
document.getElementById("btn-next").addEventListener("click", (e) => act("agenda:next", {}, e.currentTarget));
document.getElementById("btn-prev").addEventListener("click", (e) => act("agenda:previous", {}, e.currentTarget));
document.getElementById("btn-end").addEventListener("click", async (e) => {
  const button = e.currentTarget;
  if (await confirmDialog(t("console.confirm_end"), { okLabel: t("console.end"), danger: true })) {
    act("meeting:end", {}, button);
  }
});

for (const module of MODULES) module.init?.(ctx);

// --- connection ------------------------------------------------------------------------------------

socket.on("connect", () => join());

socket.on("disconnect", () => {
  live.suspend();
  setOffline(true);
  clockOffset = null;
});

socket.on("connect_error", (err) => {
  setOffline(true);
  if (!socket.active) {
    // Refused by the server (session expired): no automatic retry; send the user to log in.
    toast(err?.data?.message ?? err.message, "error");
    setTimeout(() => window.location.assign(`/login?next=${encodeURIComponent(location.pathname)}`), 1500);
  }
});

socket.on("event", (event) => {
  if (event?.meeting_id !== meetingId) return;
  if (event.type === "meeting.access_revoked") {
    // Removed from the meeting, its role changed to nothing, or the meeting went back to draft.
    live.suspend();
    root.dataset.ready = "false";
    const box = document.getElementById("join-error");
    box.textContent = t("live.access_revoked");
    box.hidden = false;
    return;
  }
  const at = Date.parse(event.at ?? "");
  // Delivery only delays an event, so the largest (at - now) seen is the best estimate of the offset.
  if (!Number.isNaN(at)) clockOffset = Math.max(clockOffset ?? -Infinity, at - Date.now());
  live.push(event);
});

socket.on("presence", (msg) => {
  if (msg?.meeting_id !== meetingId) return;
  online = new Set(msg.online ?? []);
  if (live.state) view.renderParticipants(live.state, me, online, video.participantActions);
});

// The browser knows before the socket does when the network is gone (tablet loses Wi-Fi).
window.addEventListener("offline", () => {
  setOffline(true);
  socket.disconnect();
});
window.addEventListener("online", () => {
  if (!socket.connected) socket.connect();
});

if (navigator.onLine === false) setOffline(true);
socket.connect();
