// Minutes page (/meetings/{id}/minutes). Secretariat: the sections of the draft with autosave, preview PDF,
// DOCX, finalise, new version. Secretary and chair: sign with their password, in that order. Participants:
// download the signed minutes; a toast appears when they are completed (event minutes.completed).
import { io } from "/static/vendor/socket.io.esm.min.js";
import { ApiError, api, get, post } from "./api.js";
import { mountConclusion } from "./conclusion-editor.js";
import { toast } from "./toast.js";

const root = document.getElementById("minutes");
const meetingId = Number(root.dataset.meetingId);
const base = `/api/meetings/${meetingId}`;
const $ = (id) => document.getElementById(id);
const STATE_VI = {
  draft: "Dự thảo (đang biên tập)",
  final: "Đã chốt, chờ thư ký ký",
  secretary_signed: "Thư ký đã ký, chờ chủ tọa ký",
  signed: "Đã ký đủ (thư ký và chủ tọa)",
};
const ROLE_VI = { secretary: "Thư ký", chair: "Chủ tọa" };
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
  $("status-text").textContent = STATE_VI[status.state] + (status.version ? ` — phiên bản ${status.version}` : "");
  $("status-text").dataset.state = status.state;
  const list = $("signers");
  list.replaceChildren(...status.signers.map((s) => {
    const li = document.createElement("li");
    li.className = s.signed_at ? "done" : "";
    li.textContent = `${ROLE_VI[s.role]}: ${s.full_name ?? "(chưa có)"} — ${s.signed_at ? "đã ký lúc " + new Date(s.signed_at).toLocaleString("vi-VN") : "chưa ký"}`;
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
  for (const ed of editors.values()) ed.area.readOnly = frozen || !draft.can_edit || !ed.section.editable;
  $("edit-note").textContent = frozen
    ? "Biên bản đã chốt nên chỉ đọc; muốn sửa hãy tạo phiên bản đính chính."
    : draft.can_edit ? "Nội dung sinh tự động từ diễn biến cuộc họp; phần Văn phòng sửa được giữ nguyên khi các mục khác cập nhật."
    : "Chỉ Văn phòng được sửa biên bản.";
}

function preview() {
  const frozen = status && status.state !== "draft";
  $("preview").src = `${base}/minutes.pdf?${frozen ? "" : "draft=1&"}t=${Date.now()}`;
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
    label.textContent = section.label;
    const area = document.createElement(section.multiline ? "textarea" : "input");
    if (!section.multiline) area.type = "text";
    area.value = section.effective;
    area.dataset.testid = `section-${section.key}`;
    label.append(area);
    const meta = document.createElement("div");
    meta.className = "meta";
    const note = document.createElement("span");
    note.textContent = !section.editable ? "Ghi nhận tự động từ kết quả biểu quyết (không sửa)" : section.edited !== null ? "Văn phòng đã sửa" : "Sinh tự động";
    meta.append(note);
    if (section.edited !== null && draft.can_edit) {
      const reset = document.createElement("button");
      reset.type = "button";
      reset.className = "btn btn-small";
      reset.textContent = "Khôi phục nội dung tự động";
      reset.addEventListener("click", () => saveSection(section.key, null));
      meta.append(reset);
    }
    wrap.append(label, meta);
    host.append(wrap);
    const ed = { area, section, note, timer: null, saved: section.effective, wrap };
    editors.set(section.key, ed);
    area.addEventListener("input", () => {
      clearTimeout(ed.timer);
      note.textContent = "Đang gõ…";
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
      ed.note.textContent = out.edited !== null ? "Văn phòng đã sửa — đã lưu" : "Sinh tự động";
      ed.wrap.classList.toggle("edited", out.edited !== null);
      if (text === null) ed.area.value = out.effective;
    }
  } catch (err) {
    if (ed) ed.note.textContent = "Chưa lưu được";
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
  await flushAll();
  try {
    status = await post(`${base}/minutes/finalise`);
    toast(`Đã chốt biên bản phiên bản ${status.version}.`, "success");
    renderStatus();
    preview();
  } catch (err) { toast(err.message, "error"); }
});
$("btn-new-version").addEventListener("click", async () => {
  try {
    status = await post(`${base}/minutes/new-version`);
    toast("Đã mở phiên bản đính chính; biên bản đã ký trước đó vẫn được lưu.", "success");
    await load();
  } catch (err) { toast(err.message, "error"); }
});
$("btn-sign").addEventListener("click", () => {
  $("sign-who").textContent = `Ký với vai trò ${ROLE_VI[$("btn-sign").dataset.role] ?? ""}: ${me.full_name}`;
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
    toast("Đã ký số biên bản.", "success");
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
    link.textContent = `Biên bản cuộc họp (phiên bản ${data.version}) đã được ký. Mở biên bản`;
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
