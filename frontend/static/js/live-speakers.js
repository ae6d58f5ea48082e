// Speaker queue (đăng ký phát biểu): the strip under the current item (who has the floor, the countdown, my
// request button) and the "Phát biểu" tab (queue, speeches given, the chair's grant/finish/direct controls).
// The countdown runs here from started_at + limit_seconds; the server sends no per-second events.
import { h, morph } from "./dom.js";
import { t } from "./i18n.js";
import { setCount } from "./live-tabs.js";
import { myRow } from "./live-view.js";
import { toast } from "./toast.js";

const PRESENT = new Set(["present_room", "present_remote"]);
const $ = (id) => document.getElementById(id);
const pad = (n) => String(n).padStart(2, "0");
let ctx = null;
let ticker = null;
let busy = false;

export function init(context) {
  ctx = context;
}

/** May this participant row ask for (or be given) the floor? (speakers/services.py: members present, guests.) */
export function maySpeak(row) {
  if (!row) return false;
  if (row.role === "guest") return true;
  return ["chair", "member"].includes(row.role) && (PRESENT.has(row.attendance) || row.attendance === "deputy");
}

/** "04:12" left, or "+01:05" over the limit; level: ok | warn (last minute) | over. */
export function countdown(current, now) {
  if (!current?.started_at) return null;
  const elapsed = Math.floor((now - Date.parse(current.started_at)) / 1000);
  if (!current.limit_seconds) return { text: `${pad(Math.floor(elapsed / 60))}:${pad(elapsed % 60)}`, level: "ok" };
  const left = current.limit_seconds - Math.max(0, elapsed);
  const abs = Math.abs(left);
  const text = `${left < 0 ? "+" : ""}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
  return { text, level: left < 0 ? "over" : left <= 60 ? "warn" : "ok", left };
}

function tick() {
  const current = ctx.state?.speakers?.current;
  const value = countdown(current, ctx.now());
  for (const node of document.querySelectorAll("[data-timer]")) {
    if (!value) continue;
    node.textContent = value.text;
    node.dataset.level = value.level;
    node.title = value.level === "over" ? t("speak.over") : "";
  }
  if (!value) stopTicker();
}

function stopTicker() {
  if (ticker !== null) clearInterval(ticker);
  ticker = null;
}

async function send(name, payload, button = null) {
  if (busy) return;
  busy = true;
  if (button) button.disabled = true;
  try {
    await ctx.request(name, payload);
  } catch (err) {
    toast(err.message, "error");
  } finally {
    busy = false;
    if (button) button.disabled = false;
    ctx.rerender();
  }
}

const ask = (e) => send("speaker:request", { meeting_id: ctx.meetingId }, e.currentTarget);
const withdraw = (req) => (e) => send("speaker:withdraw", { request_id: req.id }, e.currentTarget);
const grant = (req) => (e) => send("speaker:grant", { request_id: req.id }, e.currentTarget);
const finish = (req) => (e) => send("speaker:finish", { request_id: req.id }, e.currentTarget);

function who(req) {
  const deputy = req.deputy_name ? ` · ${t("live.deputy_for", { name: req.deputy_name })}` : "";
  return h("div", { class: "who-name" }, h("div", { class: "n" }, req.full_name), h("div", { class: "d" }, `${req.title ?? ""}${deputy}`));
}

function timerNode(current) {
  const value = countdown(current, ctx.now());
  return h(
    "span",
    { class: "timer", "data-timer": "", "data-testid": "speaker-timer", dataset: { level: value?.level ?? "ok" }, role: "timer", "aria-live": "off" },
    value?.text ?? "",
  );
}

/** My own button: ask to speak, or withdraw while waiting. */
function myAction(state) {
  const sp = state.speakers ?? {};
  const row = myRow(state, ctx.me);
  // The secretary does not ask; the chair conducts (gives the floor, also to themself, from the tab).
  if (!row || row.role === "secretary" || ctx.me?.can_conduct || state.meeting.state !== "started") return null;
  const mineWaiting = (sp.queue ?? []).find((r) => r.user_id === ctx.me.user_id);
  if (mineWaiting) {
    return h("button", { type: "button", class: "btn btn-lg btn-speak withdraw", "data-testid": "btn-speak-withdraw", onclick: withdraw(mineWaiting) }, t("speak.withdraw"));
  }
  if (sp.current?.user_id === ctx.me.user_id) return null;
  const can = maySpeak(row) && !!state.meeting.current_item_id;
  return h(
    "button",
    {
      type: "button",
      class: "btn btn-primary btn-lg btn-speak",
      "data-testid": "btn-speak-request",
      disabled: !can,
      title: can ? null : t(state.meeting.current_item_id ? "speak.need_checkin" : "speak.need_item"),
      onclick: ask,
    },
    t("speak.request"),
  );
}

function hintFor(state) {
  const row = myRow(state, ctx.me);
  if (!row || row.role === "secretary" || ctx.me?.can_conduct || state.meeting.state !== "started") return null;
  if (!state.meeting.current_item_id) return t("speak.need_item");
  if (!maySpeak(row)) return t("speak.need_checkin");
  const queue = state.speakers?.queue ?? [];
  const pos = queue.findIndex((r) => r.user_id === ctx.me.user_id);
  if (pos >= 0) return t("speak.your_pos", { n: pos + 1 });
  return null;
}

function renderStrip(state) {
  const strip = $("speaker-strip");
  const sp = state.speakers ?? {};
  const started = state.meeting.state === "started";
  strip.hidden = !started;
  if (!started) return morph(strip);
  const current = sp.current;
  const mine = current && current.user_id === ctx.me?.user_id;
  const conductor = ctx.me?.can_conduct;
  const queue = sp.queue ?? [];
  const hint = hintFor(state);
  morph(
    strip,
    h(
      "div",
      { class: `now${current ? " on" : ""}`, "data-testid": "speaker-now", dataset: { userId: current?.user_id ?? "" } },
      h("span", { class: "mic", "aria-hidden": "true" }),
      current
        ? h("div", { class: "now-body" }, h("div", { class: "label" }, mine ? t("speak.you_speaking") : t("speak.now")), who(current))
        : h("div", { class: "now-body muted" }, t("speak.nobody")),
      current ? timerNode(current) : null,
      current && (mine || conductor)
        ? h("button", { type: "button", class: "btn", "data-testid": "btn-speak-finish", onclick: finish(current) }, t("speak.finish"))
        : null,
    ),
    h(
      "div",
      { class: "mine" },
      h("div", { class: "muted small" }, [queue.length ? t("speak.waiting", { n: queue.length }) : t("speak.queue_empty"), hint].filter(Boolean).join(" · ")),
      myAction(state),
    ),
  );
}

function directForm(state) {
  const current = state.speakers?.current;
  const people = state.participants.filter((p) => maySpeak(p) && p.user_id !== current?.user_id);
  const select = h(
    "select",
    { class: "input", "data-testid": "direct-user", "aria-label": t("speak.direct") },
    h("option", { value: "" }, t("speak.choose")),
    people.map((p) => h("option", { value: p.user_id }, [p.full_name, p.title].filter(Boolean).join(" — "))),
  );
  // The select is looked up on the page: morph() keeps the one there, not this fresh copy.
  const pick = (e) => {
    const chosen = e.currentTarget.parentElement.querySelector("select");
    if (!chosen.value) return chosen.focus();
    return send("speaker:request", { meeting_id: ctx.meetingId, user_id: Number(chosen.value) }, e.currentTarget);
  };
  const button = h("button", { type: "button", class: "btn btn-primary", "data-testid": "btn-direct", onclick: pick }, t("speak.direct"));
  return h("div", { class: "direct" }, select, button);
}

function renderPanel(state) {
  const sp = state.speakers ?? {};
  const queue = sp.queue ?? [];
  const done = sp.done ?? [];
  const conductor = ctx.me?.can_conduct && state.meeting.state === "started";
  const current = sp.current;
  setCount("speakers", queue.length ? String(queue.length) : "");
  morph(
    $("speakers-body"),
    h(
      "div",
      { class: "section-head" },
      h("h2", {}, t("speak.now")),
      conductor && queue.length
        ? h("button", { type: "button", class: "btn btn-success btn-lg", "data-testid": "btn-grant-next", onclick: grant(queue[0]) }, `${t("speak.grant_next")} ›`)
        : null,
    ),
    current
      ? h(
          "div",
          { class: "speaker-current", "data-testid": "speaker-current" },
          who(current),
          current.direct ? h("span", { class: "badge" }, t("speak.direct_tag")) : null,
          timerNode(current),
          conductor || current.user_id === ctx.me?.user_id
            ? h("button", { type: "button", class: "btn btn-danger", onclick: finish(current) }, t("speak.finish"))
            : null,
        )
      : h("p", { class: "muted" }, t("speak.nobody")),
    h("h3", { class: "sub-head" }, `${t("speak.queue")} (${queue.length})`),
    queue.length
      ? h(
          "ol",
          { class: "speaker-queue", "data-testid": "speaker-queue" },
          queue.map((req) =>
            h(
              "li",
              { class: `queue-entry${req.user_id === ctx.me?.user_id ? " me" : ""}`, "data-testid": "queue-entry", dataset: { requestId: req.id, userId: req.user_id } },
              who(req),
              conductor ? h("button", { type: "button", class: "btn btn-primary", "data-testid": "btn-grant", onclick: grant(req) }, t("speak.grant")) : null,
              conductor || req.user_id === ctx.me?.user_id
                ? h("button", { type: "button", class: "btn btn-icon", title: t("speak.withdraw"), "aria-label": t("speak.withdraw"), onclick: withdraw(req) }, "✕")
                : null,
            ),
          ),
        )
      : h("p", { class: "muted" }, t("speak.queue_empty")),
    conductor ? directForm(state) : null,
    done.length ? h("h3", { class: "sub-head" }, `${t("speak.done")} (${done.length})`) : null,
    done.length ? h("ol", { class: "speaker-done" }, done.map((req) => h("li", {}, who(req)))) : null,
  );
}

export function render(state) {
  renderStrip(state);
  renderPanel(state);
  if (state.speakers?.current && ticker === null) ticker = setInterval(tick, 500);
  if (!state.speakers?.current) stopTicker();
}
