// The live meeting page: rendering from the live state, presence and the chair's console. The connection (join,
// seq order, gaps, reconnects) is live-connection.js, shared with the display, the viewer and the minutes page.
// The domain parts (votes, speakers, documents, remote video, minutes/display, conclusions) live in their own
// modules; each gets the same small context and is rendered from the same state.
import { confirmDialog } from "./confirm.js";
import { t } from "./i18n.js";
import * as conclusion from "./live-conclusion.js";
import * as docs from "./live-docs.js";
import * as notify from "./live-notify.js";
import * as speakers from "./live-speakers.js";
import { LiveConnection } from "./live-connection.js";
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
const MODULES = [votes, voteConsole, ceremony, sheet, speakers, docs, video, notify, conclusion];

const conn = new LiveConnection({ meetingId });
const live = conn.live;
const { socket } = conn;
const request = (name, payload) => conn.request(name, payload);
const tabs = initTabs(meetingId);

/** What the modules get: who I am, the state, acks over the socket and a way to re-render. */
const ctx = {
  meetingId,
  socket,
  tabs,
  request,
  get me() { return conn.me; },
  get state() { return live.state; },
  get online() { return conn.online; },
  /** The server's clock (for timers): local clock corrected by what the events' `at` say. */
  now: () => conn.now(),
  rerender: () => { if (live.state) render(live.state); },
};

// Exposed for debugging and the browser tests (read-only use).
window.ecabinetLive = { conn, live, socket, chimes: sheet.chimeStats, get me() { return conn.me; }, get online() { return conn.online; } };

function setOffline(offline) {
  banner.hidden = !offline;
  root.dataset.connected = String(!offline);
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
  const me = conn.me;
  root.dataset.seq = String(live.seq);
  root.dataset.meetingState = state.meeting.state;
  view.renderHeader(state.meeting);
  view.renderCurrent(state);
  const mayPick = me?.can_conduct && state.meeting.state === "started";
  view.renderAgenda(state, mayPick ? activate : null);
  view.renderQuorum(state);
  view.renderCheckIn(state, me, checkIn);
  view.renderParticipants(state, me, conn.online, video.participantActions);
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

conn.onChange(onChange);
conn.onDocuments(() => docs.refresh());

conn.onSnapshot(() => {
  document.getElementById("join-error").hidden = true;
  root.dataset.ready = "true";
});

conn.onStatus(({ connected, reason, message }) => {
  setOffline(!connected);
  if (reason === "refused") {
    // Refused by the server (session expired): no automatic retry; send the user to log in.
    toast(message ?? t("live.offline"), "error");
    setTimeout(() => window.location.assign(`/login?next=${encodeURIComponent(location.pathname)}`), 1500);
  }
});

conn.onJoinError((err) => {
  if (err.code === "forbidden" || err.code === "not_found") {
    document.getElementById("join-error").textContent = err.message;
    document.getElementById("join-error").hidden = false;
  } else {
    toast(err.message, "error");
  }
});

conn.onRevoked(() => {
  // Removed from the meeting, its role changed to nothing, or the meeting went back to draft.
  root.dataset.ready = "false";
  const box = document.getElementById("join-error");
  box.textContent = t("live.access_revoked");
  box.hidden = false;
});

conn.onPresence((online) => {
  if (live.state) view.renderParticipants(live.state, conn.me, online, video.participantActions);
});

conn.start();
