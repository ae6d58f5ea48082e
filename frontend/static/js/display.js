// Room display (màn hình phòng họp): read-only projector view. A live client like the tablets, through the
// same connection (live-connection.js: snapshot from meeting:join, events in seq order, meeting:sync on gaps,
// a fresh join after a reconnect), joined with its display token. The speaker's timer runs locally from
// started_at + limit_seconds (the server sends no per-second events).
import { formatDate, formatTime } from "/static/js/format.js";
import { t } from "/static/js/i18n.js";
import { optionLabel } from "/static/js/vote-text.js";
import { fitAll, fitQueue } from "/static/js/display-fit.js";
import { LiveConnection } from "/static/js/live-connection.js";

const config = JSON.parse(document.getElementById("display-config").textContent);
const root = document.getElementById("display");
const $ = (id) => document.getElementById(id);
// Server clock minus ours, so every screen counts down the same seconds whatever the PC's clock says.
const skew = config.server_now - Date.now();
const now = () => Date.now() + skew;

const conn = new LiveConnection({ meetingId: config.meeting_id, displayToken: config.display_token, retryMs: 3000 });
const live = conn.live;
window.ecabinetDisplay = { conn, live, socket: conn.socket }; // read-only hooks for the browser tests

function setStatus(connected, text) {
  root.dataset.connected = String(connected);
  $("status-text").textContent = text;
}

// --- rendering -----------------------------------------------------------------------------------------

const ROLES = new Set(["chair", "member", "guest", "secretary"]);
const VOTE_KINDS = new Set(["open", "named", "secret"]);

function text(id, value) {
  $(id).textContent = value ?? "";
}

function renderItem(state) {
  const meeting = state.meeting;
  const agenda = state.agenda ?? [];
  const index = agenda.findIndex((i) => i.id === meeting.current_item_id);
  const item = index >= 0 ? agenda[index] : null;
  text("item-step", item ? t("live.item_of", { n: index + 1, total: agenda.length }) : "");
  if (item) text("item-title", item.title);
  else if (meeting.state === "ended") text("item-title", t("display.ended"));
  else if (meeting.state === "started") text("item-title", t("display.no_item"));
  else text("item-title", t("display.not_started"));
  $("item-presenter").hidden = !item?.presenter;
  text("item-presenter", item?.presenter ? `${t("live.presenter")}: ${item.presenter}` : "");
}

function speakerLine(row) {
  const parts = [row.title || (ROLES.has(row.role) ? t(`role.${row.role}`) : "")];
  if (row.deputy_name) parts.push(t("live.deputy_for", { name: row.deputy_name }));
  return parts.filter(Boolean).join(" · ");
}

function renderSpeaker(state) {
  const current = state.speakers?.current ?? null;
  const box = $("speaker");
  box.classList.toggle("idle", !current);
  root.classList.toggle("has-speaker", !!current);
  box.dataset.userId = current ? String(current.user_id) : "";
  text("speaker-name", current ? current.full_name : t("speak.nobody"));
  text("speaker-title", current ? speakerLine(current) : "");
  $("timer").hidden = !current;
  $("timer-bar").hidden = !current?.limit_seconds;
  tick();
}

function renderQueue(state) {
  const queue = state.speakers?.queue ?? [];
  $("queue").replaceChildren(
    ...queue.map((row) => {
      const li = document.createElement("li");
      const name = document.createElement("strong");
      name.textContent = row.full_name;
      const sub = document.createElement("span");
      sub.textContent = speakerLine(row);
      li.append(name, sub);
      return li;
    }),
  );
  text("queue-count", queue.length ? String(queue.length) : "");
  $("queue-empty").hidden = queue.length > 0;
}

function renderQuorum(state) {
  const q = state.quorum;
  if (!q) return;
  text("quorum-present", String(q.present));
  text("quorum-total", String(q.total));
  text("quorum-need", t("display.quorum_need", { n: q.required }));
  text("quorum-state", t(q.reached ? "display.quorum_ok" : "display.quorum_no"));
  $("quorum").classList.toggle("reached", !!q.reached);
}

/** The vote worth showing: an open one, else the last closed/published vote of the current item. */
function pickVote(state) {
  const votes = Array.isArray(state.votes) ? state.votes : [];
  const open = votes.filter((v) => v.state === "open");
  if (open.length) return open[open.length - 1];
  const itemId = state.meeting?.current_item_id;
  const done = votes.filter((v) => (v.state === "published" || v.state === "closed") && v.agenda_item_id === itemId);
  return done.length ? done[done.length - 1] : null;
}

function renderVote(state) {
  const vote = pickVote(state);
  $("vote").hidden = !vote;
  root.classList.toggle("has-vote", !!vote);
  root.dataset.vote = vote ? (vote.state === "open" ? "open" : vote.result ? "result" : "closed") : "";
  if (!vote) return;
  $("vote").dataset.state = vote.state;
  text("vote-kind", VOTE_KINDS.has(vote.kind) ? t(`vote.kind.${vote.kind}`) : "");
  text("vote-question", vote.question);
  const published = vote.state === "published" && vote.result;
  text("vote-label", t(vote.state === "open" ? "vote.state.open" : published ? "display.vote_result" : "display.vote_closed"));
  $("vote-progress").hidden = !!published;
  $("vote-result").hidden = !published;
  if (!published) {
    text("vote-voted", String(vote.voted_count ?? 0));
    text("vote-eligible", String(vote.eligible_count ?? 0));
    const share = vote.eligible_count ? Math.min(1, (vote.voted_count ?? 0) / vote.eligible_count) : 0;
    $("vote-fill").style.width = `${Math.round(share * 100)}%`;
    return;
  }
  const result = vote.result;
  const counts = $("vote-counts");
  counts.replaceChildren(
    ...(vote.options ?? []).map((option) => {
      const li = document.createElement("li");
      li.className = `opt-${option.kind ?? "other"}`;
      const label = document.createElement("span");
      label.textContent = optionLabel(option);
      const n = document.createElement("strong");
      const fromTally = vote.tally?.[String(option.id)];
      n.textContent = String(fromTally ?? result.counts?.[String(option.id)] ?? result[option.kind] ?? 0);
      li.append(label, n);
      return li;
    }),
  );
  const verdict = $("vote-verdict");
  verdict.className = `d-verdict ${result.passed ? "passed" : "failed"}`;
  verdict.textContent = t(result.passed ? "vote.passed" : "vote.failed");
}

/** The published conclusion (kết luận) of the current item, if the secretariat or chair published one. */
function renderConclusion(state) {
  const itemId = state.meeting?.current_item_id;
  const found = (Array.isArray(state.conclusions) ? state.conclusions : []).find((c) => c.agenda_item_id === itemId);
  $("conclusion").hidden = !found;
  root.classList.toggle("has-conclusion", !!found);
  text("conclusion-text", found?.text ?? "");
}

/** Fit every card into its grid cell (scale down, then clamp); the queue shows as many as fit. */
function fit() {
  fitAll(root);
  fitQueue($("queue-panel"), $("queue"), (n) => t("display.more", { n }));
}

function render(state) {
  if (!state?.meeting) return;
  root.dataset.seq = String(live.seq);
  text("meeting-title", state.meeting.title);
  renderItem(state);
  renderSpeaker(state);
  renderQueue(state);
  renderQuorum(state);
  renderVote(state);
  renderConclusion(state);
  root.dataset.meetingState = state.meeting.state;
  fit();
}

// --- clock and speaker timer (local, once a quarter second) ---------------------------------------------

const two = (n) => String(n).padStart(2, "0");
const mmss = (seconds) => `${two(Math.floor(seconds / 60))}:${two(seconds % 60)}`;

function tick() {
  const date = new Date(now());
  text("clock", formatTime(date));
  text("date", formatDate(date));
  const current = live.state?.speakers?.current;
  const box = $("speaker");
  if (!current?.started_at) {
    box.classList.remove("warn", "over");
    return;
  }
  const elapsed = Math.max(0, Math.floor((now() - Date.parse(current.started_at)) / 1000));
  const limit = current.limit_seconds;
  if (!limit) {
    text("timer-value", mmss(elapsed));
    text("timer-caption", t("display.elapsed"));
    return;
  }
  const left = limit - elapsed;
  box.classList.toggle("warn", left <= 60 && left >= 0);
  box.classList.toggle("over", left < 0);
  text("timer-value", left >= 0 ? mmss(left) : `+${mmss(-left)}`);
  text("timer-caption", left >= 0 ? `${t("display.left")} / ${mmss(limit)}` : t("display.over"));
  $("timer-fill").style.width = `${Math.min(100, (elapsed / limit) * 100)}%`;
}

setInterval(tick, 250);
window.addEventListener("resize", () => live.state && fit());

// --- connection --------------------------------------------------------------------------------------

const STATUS = { unreachable: () => t("display.unreachable"), closed: () => t("display.disconnected") };

conn.onChange(render);
conn.onSnapshot(() => {
  root.dataset.ready = "true";
});
conn.onStatus(({ connected, reason, message }) => {
  if (connected) setStatus(true, t("remote.state.connected"));
  else if (reason === "refused") setStatus(false, message ?? t("display.unreachable"));
  else setStatus(false, STATUS[reason]?.() ?? t("live.offline"));
});
conn.onJoinError((err) => setStatus(false, err.message));
conn.onRevoked(() => setStatus(false, t("display.disconnected")));
conn.start();
tick();
