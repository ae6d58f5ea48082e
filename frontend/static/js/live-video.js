// Remote attendance from the live page (tham gia trực tuyến): rtc.js over the page's own socket, a video
// panel with mute / camera / leave, and for the chair mute/remove buttons on each remote participant.
// Offered only for remote/hybrid meetings that are published or started, to participants of the meeting.
import { confirmDialog } from "./confirm.js";
import { fill, h } from "./dom.js";
import { t } from "./i18n.js";
import { myRow } from "./live-view.js";
import { setMuted, startRemote, stop } from "./rtc.js";
import { toast } from "./toast.js";

const $ = (id) => document.getElementById(id);
const REMOTE_MODES = new Set(["remote", "hybrid"]);
const OPEN_STATES = new Set(["published", "started"]);
const ACTIVE = new Set(["media", "connecting", "connected", "reconnecting"]);
let ctx = null;
let state = "idle";
let muted = { audio: true, video: false };

export function init(context) {
  ctx = context;
  $("btn-remote-leave").addEventListener("click", () => stop());
  $("btn-remote-mic").addEventListener("click", () => setMuted({ audio: !muted.audio }).catch((e) => toast(e.message, "error")));
  $("btn-remote-cam").addEventListener("click", () => setMuted({ video: !muted.video }).catch((e) => toast(e.message, "error")));
  window.addEventListener("pagehide", () => stop());
}

/** May the viewer join online now? */
export function remoteAllowed(s, me) {
  return !!me && !!myRow(s, me) && REMOTE_MODES.has(s.meeting.mode) && OPEN_STATES.has(s.meeting.state);
}

function show(next, detail) {
  const panel = $("remote-panel");
  if (next === "muted") {
    muted = detail;
    $("btn-remote-mic").textContent = detail.audio ? t("remote.mic_on") : t("remote.mic_off");
    $("btn-remote-cam").textContent = detail.video ? t("remote.cam_on") : t("remote.cam_off");
    panel.dataset.audio = detail.audio ? "muted" : "live";
    return;
  }
  if (next === "layer") {
    panel.dataset.layer = detail.layer;
    return;
  }
  state = next;
  panel.dataset.state = next;
  const status = $("remote-status");
  status.textContent = t(`remote.state.${next}`);
  status.className = `badge remote-${next}`;
  const err = $("remote-error");
  err.hidden = !detail?.message || next === "ended";
  err.textContent = detail?.message ?? "";
  const active = ACTIVE.has(next);
  const watching = panel.dataset.mode === "watch";
  for (const id of ["btn-remote-mic", "btn-remote-cam", "btn-remote-leave"]) $(id).hidden = !active || (watching && id !== "btn-remote-leave");
  panel.hidden = !active && next !== "error";
  ctx.rerender();
}

async function join(button, viewOnly = false) {
  button.disabled = true;
  $("remote-panel").hidden = false;
  $("remote-panel").dataset.mode = viewOnly ? "watch" : "take-part";
  $("btn-remote-mic").hidden = $("btn-remote-cam").hidden = viewOnly;
  try {
    await startRemote({ socket: ctx.socket, meetingId: ctx.meetingId, videoEl: $("remote-video"), onState: show, viewOnly });
  } catch {
    /* shown by onState("error") */
  } finally {
    button.disabled = false;
  }
}

export function render(s) {
  const slot = $("remote-slot");
  const allowed = remoteAllowed(s, ctx.me);
  slot.hidden = !allowed;
  if (!allowed) {
    fill(slot);
    if (ACTIVE.has(state)) stop();
    return;
  }
  const active = ACTIVE.has(state);
  fill(
    slot,
    active
      ? h("div", { class: "remote-on", "data-testid": "remote-on" }, `● ${t("remote.title")}: ${t(`remote.state.${state}`)}`)
      : h(
          "div",
          { class: "remote-join" },
          h("button", { type: "button", class: "btn btn-lg btn-remote", "data-testid": "btn-remote-join", onclick: (e) => join(e.currentTarget) }, t("remote.join")),
          h("button", { type: "button", class: "btn btn-remote-watch", "data-testid": "btn-remote-watch", onclick: (e) => join(e.currentTarget, true) }, t("remote.watch")),
        ),
    active ? null : h("p", { class: "muted small" }, t("remote.hint")),
  );
}

async function control(name, p, button) {
  if (name === "rtc:remove_participant" && !(await confirmDialog(t("remote.confirm_remove", { name: p.full_name }), { okLabel: t("remote.remove_user"), danger: true }))) return;
  button.disabled = true;
  try {
    await ctx.request(name, { meeting_id: ctx.meetingId, user_id: p.user_id });
    if (name === "rtc:mute_participant") toast(t("remote.muted_user", { name: p.full_name }), "ok");
  } catch (err) {
    toast(err.message, "error");
  } finally {
    button.disabled = false;
  }
}

/** The chair's controls on a participant row (only for someone present online, never oneself). */
export function participantActions(p) {
  // Only while remote attendance is open (as for joining): once the meeting is over there is no one to mute.
  if (!ctx?.me?.can_conduct || !OPEN_STATES.has(ctx.state?.meeting?.state)) return null;
  if (p.attendance !== "present_remote" || p.user_id === ctx.me.user_id) return null;
  return h(
    "span",
    { class: "row-actions" },
    h("button", { type: "button", class: "btn btn-sm", "data-testid": "rtc-mute", onclick: (e) => control("rtc:mute_participant", p, e.currentTarget) }, t("remote.mute_user")),
    h("button", { type: "button", class: "btn btn-sm btn-danger", "data-testid": "rtc-remove", onclick: (e) => control("rtc:remove_participant", p, e.currentTarget) }, t("remote.remove_user")),
  );
}
