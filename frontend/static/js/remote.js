// The standalone remote-attendance page /meetings/{id}/remote (frontend/templates/remote.html).
import { io } from "/static/vendor/socket.io.esm.min.js";
import { startRemote, stop, setMuted } from "./rtc.js";
import { t } from "./i18n.js";

const root = document.getElementById("remote");
const meetingId = Number(root.dataset.meetingId);
const hall = new URLSearchParams(location.search).get("hall") === "1"; // the meeting room's camera endpoint
const $ = (id) => document.getElementById(id);
let watching = false; // joined with "watch and listen only": no microphone or camera buttons
let muted = { audio: true, video: false };
const socket = io({ transports: ["websocket"] });

function show(state, detail) {
  if (state === "muted") {
    muted = detail;
    $("btn-remote-mic").textContent = detail.audio ? t("remote.mic_on") : t("remote.mic_off");
    $("btn-remote-cam").textContent = detail.video ? t("remote.cam_on") : t("remote.cam_off");
    root.dataset.audio = detail.audio ? "muted" : "live";
    return;
  }
  if (state === "layer") { root.dataset.layer = detail.layer; return; }
  root.dataset.state = state;
  $("remote-status").textContent = t(`remote.state.${state}`);
  const active = !["ended", "error", "idle"].includes(state);
  $("btn-remote-join").hidden = active;
  $("btn-remote-watch").hidden = active || hall;
  for (const id of ["btn-remote-mic", "btn-remote-cam"]) $(id).hidden = !active || watching;
  $("btn-remote-leave").hidden = !active;
  const err = $("remote-error");
  err.hidden = !(detail && detail.message);
  if (detail && detail.message) err.textContent = detail.message;
}

function join(viewOnly) {
  watching = viewOnly;
  root.dataset.mode = viewOnly ? "watch" : "take-part";
  startRemote({ socket, meetingId, hall, viewOnly, videoEl: $("remote-video"), onState: show }).catch(() => {});
}
$("btn-remote-join").addEventListener("click", () => join(false));
$("btn-remote-watch").addEventListener("click", () => join(true));
$("btn-remote-watch").hidden = hall; // the hall endpoint publishes the room camera
$("btn-remote-leave").addEventListener("click", () => stop());
$("btn-remote-mic").addEventListener("click", () => setMuted({ audio: !muted.audio }).catch((e) => show("error", e)));
$("btn-remote-cam").addEventListener("click", () => setMuted({ video: !muted.video }).catch((e) => show("error", e)));
window.addEventListener("pagehide", () => stop());
