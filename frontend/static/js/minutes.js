// Minutes page (/meetings/{id}/minutes). Secretariat: the sections of the draft with autosave, preview PDF,
// DOCX, finalise, new version. Secretary and chair: sign with their password, in that order. Participants:
// download the signed minutes; a toast appears when they are completed (event minutes.completed).
import { io } from "/static/vendor/socket.io.esm.min.js";
import { ApiError, api, get, post } from "./api.js";
import { mountConclusion } from "./conclusion-editor.js";
import { confirmDialog } from "./confirm.js";
import { formatDateTime } from "./format.js";
import { t } from "./i18n.js";
import { toast } from "./toast.js";

const root = document.getElementById("minutes");
const meetingId = Number(root.dataset.meetingId);
const base = `/api/meetings/${meetingId}`;
const $ = (id) => document.getElementById(id);
const ROLE = { secretary: t("role.secretary"), chair: t("minutes.role.chair") };
let me = null;
let draft = null; // null when the viewer may not read the draft (members)
let status = null;
const editors = new Map(); // section key -> {area, timer, saved}
const conclusionEditors = new Map();

function showError(message) {
  const box = $("minutes-error");
  box.textContent = message;
  box.hidden = !message;
}

function renderStatus() {
  if (!status) return;
  const state = t(`minutes.state.${status.state}`);
  $("status-text").textContent = status.version ? t("minutes.state_version", { state, version: status.version }) : state;
  $("status-text").dataset.state = status.state;
  $("number-line").hidden = !status.number;
  $("minutes-number").textContent = status.number ?? "";
  const list = $("signers");
  list.replaceChildren(...status.signers.map((s) => {
    const li = document.createElement("li");
    li.className = s.signed_at ? "done" : "";
    const when = s.signed_at ? t("minutes.signed_at", { time: formatDateTime(s.signed_at, { weekday: false }) }) : t("minutes.unsigned");
    li.textContent = `${ROLE[s.role]}: ${s.full_name ?? t("minutes.nobody")} — ${when}`;
    return li;
  }));
  const signed = Boolean(status.download_url);
  $("signed-download").hidden = !signed;
  if (signed) $("btn-download").href = status.download_url;
  $("member-note").hidden = signed || Boolean(draft);
  if (!draft) return;
  const frozen = status.state !== "draft";
  $("btn-finalise").hidden = !(draft.can_edit && !frozen && root.dataset.meetingState === "ended");
  $("btn-new-version").hidden = !(draft.can_edit && frozen);
  const next = status.state === "final" ? "secretary" : status.state === "secretary_signed" ? "chair" : null;
  const signer = status.signers.find((s) => s.role === next);
  $("btn-sign").hidden = !(signer && me && signer.user_id === me.id);
  $("btn-sign").dataset.role = next ?? "";
  for (const ed of editors.values()) {
    ed.area.readOnly = frozen || !draft.can_edit || !ed.section.editable;
    syncReset(ed);
  }
  $("edit-note").textContent = t(frozen ? "minutes.frozen_note" : draft.can_edit ? "minutes.edit_note" : "minutes.staff_only");
}

/** "Restore the generated text": only on an edited section of a draft one may edit (the server refuses otherwise). */
function syncReset(ed) {
  const frozen = status && status.state !== "draft";
  ed.reset.hidden = !(ed.edited && draft?.can_edit && ed.section.editable && !frozen);
}

function preview() {
  const frozen = status && status.state !== "draft";
  $("preview").src = `${base}/minutes.pdf?${frozen ? "" : "draft=1&"}t=${Date.now()}`;
}

/** The section's label in the page's language (the server's label is the Vietnamese record's own). */
function sectionLabel(section) {
  const item = /^item:\d+:(\w+)$/.exec(section.key);
  const key = `minutes.section.${item ? `item_${item[1]}` : section.key}`;
  const text = t(key, { head: section.label.split(" — ")[0] });
  return text === key ? section.label : text;
}

function renderSections() {
  const host = $("sections");
  host.replaceChildren();
  editors.clear();
  for (const section of draft.sections) {
    if (!section.editable && !section.effective) continue; // an item without votes
    const wrap = document.createElement("div");
    wrap.className = "minutes-section" + (section.edited !== null ? " edited" : "");
    wrap.dataset.key = section.key;
    wrap.dataset.testid = "section";
    const label = document.createElement("label");
    label.textContent = sectionLabel(section);
    const area = document.createElement(section.multiline ? "textarea" : "input");
    if (!section.multiline) area.type = "text";
    area.value = section.effective;
    area.dataset.testid = `section-${section.key}`;
    label.append(area);
    const meta = document.createElement("div");
    meta.className = "meta";
    const note = document.createElement("span");
    note.textContent = t(!section.editable ? "minutes.from_votes" : section.edited !== null ? "minutes.edited" : "minutes.generated");
    meta.append(note);
    const reset = document.createElement("button");
    reset.type = "button";
    reset.className = "btn btn-small";
    reset.dataset.testid = "section-reset";
    reset.textContent = t("minutes.reset");
    reset.addEventListener("click", () => saveSection(section.key, null));
    meta.append(reset);
    wrap.append(label, meta);
    host.append(wrap);
    const ed = { area, section, note, reset, edited: section.edited !== null, timer: null, saved: section.effective, wrap };
    editors.set(section.key, ed);
    syncReset(ed);
    area.addEventListener("input", () => {
      clearTimeout(ed.timer);
      note.textContent = t("minutes.typing");
      ed.timer = setTimeout(() => saveSection(section.key, area.value), 700);
    });
  }
}

async function saveSection(key, text) {
  const ed = editors.get(key);
  if (ed) { clearTimeout(ed.timer); ed.timer = null; }
  try {
    const out = await api("PUT", `${base}/minutes/sections/${encodeURIComponent(key)}`, { text });
    if (ed) {
      ed.saved = out.effective;
      ed.note.textContent = t(out.edited !== null ? "minutes.edited_saved" : "minutes.generated");
      ed.wrap.classList.toggle("edited", out.edited !== null);
      ed.edited = out.edited !== null;
      syncReset(ed);
      if (text === null) ed.area.value = out.effective;
    }
  } catch (err) {
    if (ed) ed.note.textContent = t("minutes.not_saved");
    toast(err.message, "error");
  }
}

async function flushAll() {
  const pending = [...editors.entries()].filter(([, ed]) => ed.timer);
  await Promise.all(pending.map(([key, ed]) => saveSection(key, ed.area.value)));
  await Promise.all([...conclusionEditors.values()].map((c) => c.flush()));
}

async function loadConclusions() {
  if (root.dataset.meetingState !== "started" && root.dataset.meetingState !== "ended") return;
  if (status && status.state !== "draft") return;
  let rows;
  try { rows = await get(`${base}/conclusions`); } catch { return; }
  const agenda = await get(`${base}/agenda`);
  const host = $("conclusions");
  host.replaceChildren();
  conclusionEditors.clear();
  for (const item of agenda) {
    const row = rows.find((r) => r.agenda_item_id === item.id);
    conclusionEditors.set(item.id, mountConclusion(host, { meetingId, item, row }));
  }
  $("conclusions-card").hidden = root.dataset.meetingState !== "started";
}

async function load() {
  try {
    me = (await get("/api/me")).user;
  } catch (err) { showError(err.message); return; }
  try {
    draft = await get(`${base}/minutes`);
    status = draft.minutes;
    $("staff-actions").hidden = false;
    $("editor-wrap").hidden = false;
    $("btn-docx").href = `${base}/minutes.docx`;
    renderSections();
    preview();
    await loadConclusions();
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 403)) { showError(err.message); return; }
    draft = null;
    const snap = await get(`${base}/snapshot`).catch(() => null);
    status = snap?.snapshot?.minutes ?? null;
  }
  renderStatus();
  root.dataset.ready = "true";
}

$("btn-preview").addEventListener("click", async (e) => {
  e.preventDefault();
  await flushAll();
  preview();
});
$("btn-finalise").addEventListener("click", async () => {
  // Finalising freezes the text for signing: ask first, as for ending the meeting.
  if (!(await confirmDialog(t("tablet.confirm_finalise"), { okLabel: t("minutes.finalise") }))) return;
  await flushAll();
  try {
    status = await post(`${base}/minutes/finalise`);
    toast(t("minutes.finalised", { version: status.version }), "success");
    renderStatus();
    preview();
  } catch (err) { toast(err.message, "error"); }
});
$("btn-new-version").addEventListener("click", async () => {
  try {
    status = await post(`${base}/minutes/new-version`);
    toast(t("minutes.new_version_open"), "success");
    await load();
  } catch (err) { toast(err.message, "error"); }
});
$("btn-sign").addEventListener("click", () => {
  $("sign-who").textContent = t("minutes.sign_as", { role: ROLE[$("btn-sign").dataset.role] ?? "", name: me.full_name });
  $("sign-error").hidden = true;
  $("sign-password").value = "";
  $("sign-dialog").showModal();
});
$("sign-cancel").addEventListener("click", () => $("sign-dialog").close());
$("sign-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  $("sign-ok").disabled = true;
  try {
    status = await post(`${base}/minutes/sign`, { password: $("sign-password").value });
    $("sign-dialog").close();
    toast(t("minutes.signed"), "success");
    renderStatus();
    preview();
  } catch (err) {
    $("sign-error").textContent = err.message;
    $("sign-error").hidden = false;
  } finally {
    $("sign-ok").disabled = false;
    $("sign-password").value = "";
  }
});

// Live: status changes and, for everyone, the notice that the minutes are signed.
const socket = io({ transports: ["websocket"] });
socket.on("connect", () => socket.emit("meeting:join", { meeting_id: meetingId }, () => {}));
socket.on("event", async (event) => {
  if (event.meeting_id !== meetingId) return;
  const data = event.data ?? {};
  if (data.minutes) { status = data.minutes; renderStatus(); }
  if (event.type === "minutes.completed") {
    const link = document.createElement("a");
    link.href = data.download_url;
    link.target = "_blank";
    link.rel = "noopener";
    link.dataset.testid = "minutes-completed-link";
    link.textContent = t("minutes.completed", { version: data.version });
    const host = $("toasts");
    const node = document.createElement("div");
    node.className = "toast toast-success";
    node.setAttribute("role", "status");
    node.dataset.testid = "minutes-completed";
    node.append(link);
    host.append(node);
    setTimeout(() => node.remove(), 30000);
  } else if (event.type === "conclusion.saved" && conclusionEditors.has(data.agenda_item_id)) {
    const rows = await get(`${base}/conclusions`).catch(() => []);
    const row = rows.find((r) => r.agenda_item_id === data.agenda_item_id);
    if (row) conclusionEditors.get(data.agenda_item_id).refresh(row);
  } else if (event.type === "meeting.ended" || event.type === "meeting.started") {
    root.dataset.meetingState = data.meeting?.state ?? root.dataset.meetingState;
    if (draft) { await load(); }
  }
});

load();
