// One conclusion notice: the secretariat edits the draft and assigns tasks, submits it; the chair approves
// (numbered) and signs it (issued). Reloads when the server says the notice changed (socket event `notices`).
import { io } from "/static/vendor/socket.io.esm.min.js";
import { api, get, post, showError } from "./api.js";
import { fill, h } from "./dom.js";
import { t } from "./i18n.js";
import { taskTable, vnDate } from "./notices-tasks.js";
import { onSubmit } from "./forms.js";

const $ = (id) => document.getElementById(id);
let notice = JSON.parse($("notice-data").textContent);
const form = $("notice-form");
const taskForm = $("task-form");

function conclusionBox(text) {
  return h("div", { class: "conclusion" }, h("textarea", { name: "conclusion", maxlength: 20000, dataset: { testid: "notice-conclusion" } }, text));
}

async function act(path, body) {
  try {
    notice = await post(`/api/notices/${notice.id}/${path}`, body);
    show();
  } catch (err) {
    showError(err);
  }
}

function actions() {
  const out = [h("a", { class: "btn", href: notice.pdf_url, target: "_blank", rel: "noopener" }, t("notices.pdf"))];
  if (notice.can_edit && notice.state === "draft") out.push(h("button", { type: "button", class: "btn btn-primary", dataset: { testid: "notice-submit" }, onclick: () => act("submit") }, t("notices.submit")));
  if (notice.is_chair && notice.state === "submitted") {
    out.push(h("button", { type: "button", class: "btn", dataset: { testid: "notice-return" }, onclick: () => act("return") }, t("notices.return")));
    out.push(h("button", { type: "button", class: "btn btn-primary", dataset: { testid: "notice-approve" }, onclick: () => act("approve") }, t("notices.approve")));
  }
  if (notice.is_chair && notice.state === "approved") {  // a mistake seen before signing: back to the secretariat
    out.push(h("button", { type: "button", class: "btn", dataset: { testid: "notice-return" }, onclick: () => act("return") }, t("notices.return")));
  }
  if (notice.is_chair && notice.state === "approved") {
    const pw = h("input", { type: "password", autocomplete: "current-password", "aria-label": t("notices.sign_password"), placeholder: t("notices.sign_password"), dataset: { testid: "sign-password" } });
    out.push(pw, h("button", { type: "button", class: "btn btn-primary", dataset: { testid: "notice-sign" }, onclick: () => act("sign", { password: pw.value }) }, t("notices.sign")));
  }
  return out;
}

function show() {
  $("notice-state").textContent = t(`notices.state.${notice.state}`);
  $("notice-number").textContent = notice.number ? `${t("notices.number")}: ${notice.number}` : "";
  $("notice-due").textContent = notice.state === "issued" ? "" : ` · ${t("notices.due")}: ${vnDate(notice.due_on)}`
    + (notice.late ? ` · ${t("notices.late")}` : notice.at_risk ? ` · ${t("notices.at_risk")}` : "");
  const editable = notice.can_edit && notice.state === "draft";
  form.subject.value = notice.subject;
  form.intro.value = notice.intro;
  fill($("conclusions"), notice.conclusions.map((c) => conclusionBox(c.text)));
  for (const el of form.querySelectorAll("input, textarea, button")) el.disabled = !editable;
  $("edit-actions").hidden = !editable;
  fill($("notice-actions"), actions());
  fill($("notice-tasks"), taskTable(notice.tasks, { manage: notice.can_edit ? manageTask : null }));
  taskForm.hidden = !editable;
  fill($("task-conclusion"), h("option", { value: "" }, t("tasks.whole_notice")),
    notice.conclusions.map((c) => h("option", { value: c.id }, `${c.position}. ${c.text.slice(0, 60)}`)));
  $("notice-pdf").src = `${notice.pdf_url}?v=${encodeURIComponent(notice.state + (notice.number ?? ""))}`;
}

async function reloadNotice() {
  notice = await get(`/api/notices/${notice.id}`);
  show();
}

// One small form under a task: `fields` are inputs; `send(form)` calls the API; errors are shown on the form.
function smallForm(testid, fields, label, send) {
  const f = h("form", { class: "task-manage", dataset: { testid } }, ...fields,
    h("button", { type: "submit", class: "btn btn-sm" }, label));
  onSubmit(f, async (event) => {
    event.preventDefault();
    try {
      await send(f);
      await reloadNotice();
    } catch (err) {
      showError(err, { form: f });
    }
  });
  return f;
}

// The secretariat's controls under a task: a draft's task is corrected or deleted; an issued notice's open task is
// given a later deadline or another unit, each with a reason (recorded, the units told).
function manageTask(task) {
  const path = `/api/notices/${notice.id}/tasks/${task.id}`;
  if (notice.state === "draft") {
    const edit = smallForm("task-edit", [
      h("input", { name: "unit", value: task.unit, maxlength: 200, required: true, "aria-label": t("tasks.unit") }),
      h("input", { name: "what", value: task.what, maxlength: 4000, required: true, "aria-label": t("tasks.what") }),
      h("input", { type: "date", name: "deadline", value: task.deadline, required: true, "aria-label": t("tasks.deadline") }),
    ], t("tasks.save"), (f) => api("PATCH", path, { unit: f.unit.value, what: f.what.value, deadline: f.deadline.value }));
    const remove = smallForm("task-delete", [], t("tasks.delete"), () => api("DELETE", path));
    return h("details", { class: "task-manage-box" }, h("summary", {}, t("tasks.correct")), edit, remove);
  }
  if (notice.state !== "issued" || task.state !== "open") return null;
  const extend = smallForm("task-extend", [
    h("input", { type: "date", name: "deadline", value: task.deadline, required: true, "aria-label": t("tasks.new_deadline") }),
    h("input", { name: "reason", maxlength: 1000, required: true, placeholder: t("tasks.reason"), "aria-label": t("tasks.reason") }),
  ], t("tasks.extend"), (f) => post(`/api/tasks/${task.id}/extend`, { deadline: f.deadline.value, reason: f.reason.value }));
  const reassign = smallForm("task-reassign", [
    h("input", { name: "unit", maxlength: 200, required: true, placeholder: t("tasks.new_unit"), "aria-label": t("tasks.new_unit") }),
    h("input", { name: "reason", maxlength: 1000, required: true, placeholder: t("tasks.reason"), "aria-label": t("tasks.reason") }),
  ], t("tasks.reassign"), (f) => post(`/api/tasks/${task.id}/reassign`, { unit: f.unit.value, reason: f.reason.value }));
  return h("details", { class: "task-manage-box" }, h("summary", {}, t("tasks.change")), extend, reassign);
}

$("add-conclusion").addEventListener("click", () => $("conclusions").append(conclusionBox("")));
onSubmit(form, async (event) => {
  event.preventDefault();
  const conclusions = [...form.querySelectorAll('textarea[name="conclusion"]')].map((x) => x.value.trim()).filter(Boolean);
  try {
    notice = await api("PATCH", `/api/notices/${notice.id}`, { subject: form.subject.value, intro: form.intro.value, conclusions });
    show();
  } catch (err) {
    showError(err, { form });
  }
});
onSubmit(taskForm, async (event) => {
  event.preventDefault();
  const body = { unit: taskForm.unit.value, what: taskForm.what.value, deadline: taskForm.deadline.value };
  if (taskForm.conclusion_id.value) body.conclusion_id = Number(taskForm.conclusion_id.value);
  try {
    await post(`/api/notices/${notice.id}/tasks`, body);
    taskForm.reset();
    notice = await get(`/api/notices/${notice.id}`);
    show();
  } catch (err) {
    showError(err, { form: taskForm });
  }
});

show();
const socket = io({ transports: ["websocket"] });
socket.on("notices", async (msg) => {
  if (msg?.notice_id !== notice.id) return;
  try {
    notice = await get(`/api/notices/${notice.id}`);
    show();
  } catch (err) {
    showError(err);
  }
});
