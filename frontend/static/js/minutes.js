// Minutes page (/meetings/{id}/minutes). Secretariat: the sections of the draft with autosave, preview PDF,
// DOCX, finalise, new version. Secretary and chair: sign with their password, in that order. Participants:
// download the signed minutes; a toast appears when they are completed (event minutes.completed). Live through
// the meeting's connection (live-connection.js): events in seq order, gaps and reconnects caught up.
import { ApiError, api, get, post } from "./api.js";
import { mountConclusion } from "./conclusion-editor.js";
import { confirmDialog } from "./confirm.js";
import { formatDateTime } from "./format.js";
import { t } from "./i18n.js";
import { LiveConnection } from "./live-connection.js";
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

/** Where a section's text comes from, said under it: a generated, locked section names its true source (the
 *  register at finalisation, attendance, the votes) — never "from the votes" for a number or a date. */
const LOCKED_SOURCE = { number: "minutes.source.number", place_date: "minutes.source.place_date", figures: "minutes.source.figures" };

function noteKey(section, edited) {
  if (section.editable) return edited ? "minutes.edited" : "minutes.generated";
  if (/^item:\d+:votes$/.test(section.key)) return "minutes.from_votes";
  return LOCKED_SOURCE[section.key] ?? "minutes.source.locked";
}

function renderSections() {
  const host = $("sections");
  host.replaceChildren();
  editors.clear();
  for (const section of shown(draft.sections)) { // an item without votes has no section yet
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
    note.className = "source";
    note.dataset.testid = "section-source";
    note.textContent = t(noteKey(section, section.edited !== null));
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

/** The sections shown: an item's vote section only once it has text. */
const shown = (sections) => sections.filter((s) => s.editable || s.effective);

/** Another editor's text (or the generated one) for a section, unless this page is typing in it. */
function updateSection(section) {
  const ed = editors.get(section.key);
  if (!ed || ed.timer || document.activeElement === ed.area) return;
  ed.section = section;
  ed.saved = section.effective;
  if (ed.area.value !== section.effective) ed.area.value = section.effective;
  ed.edited = section.edited !== null;
  ed.wrap.classList.toggle("edited", ed.edited);
  ed.note.textContent = t(noteKey(section, ed.edited));
  syncReset(ed);
}

/** The draft read again (a section edited elsewhere, or after a reconnect): changed sections updated in place. */
async function refreshDraft() {
  if (!draft) return;
  let next;
  try { next = await get(`${base}/minutes`); } catch { return; }
  const keys = (d) => shown(d.sections).map((s) => s.key).join("|");
  if (keys(next) !== keys(draft)) {
    await flushAll();
    await reload();
    return;
  }
  draft = next;
  status = next.minutes;
  for (const section of next.sections) updateSection(section);
  renderStatus();
}

/** The conclusions typed elsewhere (conclusion.saved carries no text: read them again). */
async function refreshConclusions(itemId = null) {
  if (!conclusionEditors.size) return;
  const rows = await get(`${base}/conclusions`).catch(() => []);
  for (const row of rows) {
    if (itemId === null || row.agenda_item_id === itemId) conclusionEditors.get(row.agenda_item_id)?.refresh(row);
  }
}

async function saveSection(key, text) {
  const ed = editors.get(key);
  if (ed) { clearTimeout(ed.timer); ed.timer = null; }
  try {
    // base: the text this editor started from; another's edit since is refused (409), not written over
    const out = await api("PUT", `${base}/minutes/sections/${encodeURIComponent(key)}`, { text, base: ed?.saved });
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
    if (err.status === 409 && ed && typeof err.details?.effective === "string") {
      // someone else's edit came first: it is shown (the message says so), and this one may be typed on top of it
      ed.saved = err.details.effective;
      ed.area.value = err.details.effective;
    }
  }
}

async function flushAll() {
  const pending = [...editors.entries()].filter(([, ed]) => ed.timer);
  await Promise.all(pending.map(([key, ed]) => saveSection(key, ed.area.value)));
  await Promise.all([...conclusionEditors.values()].map((c) => c.flush()));
}

async function loadConclusions() {
  const frozen = status && status.state !== "draft";
  if ((root.dataset.meetingState !== "started" && root.dataset.meetingState !== "ended") || frozen) {
    $("conclusions-card").hidden = true;
    conclusionEditors.clear();
    return;
  }
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
    await reload();
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
    // the version on screen: should another have been made meanwhile, the server refuses rather than sign it
    status = await post(`${base}/minutes/sign`, { password: $("sign-password").value, version: status.version });
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
let loading = null;
let again = false;

/** load() once at a time; asked again meanwhile, it runs once more after. */
function reload() {
  if (loading) {
    again = true;
    return loading;
  }
  loading = (async () => {
    do {
      again = false;
      await load();
    } while (again);
    loading = null;
  })();
  return loading;
}

function completed(data) {
  const link = document.createElement("a");
  link.href = data.download_url;
  link.target = "_blank";
  link.rel = "noopener";
  link.dataset.testid = "minutes-completed-link";
  link.textContent = t("minutes.completed", { version: data.version });
  const node = document.createElement("div");
  node.className = "toast toast-success";
  node.setAttribute("role", "status");
  node.dataset.testid = "minutes-completed";
  node.append(link);
  $("toasts").append(node);
  setTimeout(() => node.remove(), 30000);
}

const conn = new LiveConnection({ meetingId });
window.ecabinetMinutes = { conn, live: conn.live, socket: conn.socket }; // read-only hooks for the browser tests

conn.onChange((state, { reset, events }) => {
  root.dataset.seq = String(conn.seq);
  if (state.minutes && (reset || events.some((env) => env.data && "minutes" in env.data))) {
    status = state.minutes;
    if (root.dataset.ready === "true") renderStatus(); // else load() draws it, knowing who may edit
  }
  const meetingState = state.meeting?.state;
  if (meetingState && meetingState !== root.dataset.meetingState) {
    root.dataset.meetingState = meetingState; // started or ended: other actions, the conclusions, the sections
    if (draft) reload();
  }
});
// After a reconnect (or a sync too far behind) the staff's draft and conclusions may have moved meanwhile.
conn.onSnapshot((state, { first }) => {
  if (!first) Promise.all([refreshDraft(), refreshConclusions()]);
});
conn.onEvent("minutes.completed", (env) => completed(env.data ?? {}));
conn.onEvent("minutes.section_edited", () => refreshDraft());
conn.onEvent("conclusion.saved", (env) => refreshConclusions(env.data?.agenda_item_id ?? null));
conn.onStatus(({ connected }) => {
  $("offline-banner").hidden = connected;
  root.dataset.connected = String(connected);
});

reload();
conn.start();
