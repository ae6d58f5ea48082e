// A table of tasks (the dashboard and a notice's page) with, on the reader's own unit's tasks, the progress form.
import { post, showError } from "./api.js";
import { h } from "./dom.js";
import { t } from "./i18n.js";
import { onSubmit } from "./forms.js";

export const vnDate = (iso) => (iso ? iso.split("-").reverse().join("/") : "");

function reportForm(task, done) {
  const percent = h("input", { type: "number", min: 0, max: 100, value: task.percent, required: true, dataset: { testid: "report-percent" }, "aria-label": t("tasks.percent") });
  const note = h("input", { type: "text", maxlength: 4000, placeholder: t("tasks.note"), dataset: { testid: "report-note" } });
  const finished = h("input", { type: "checkbox", dataset: { testid: "report-done" } });
  const form = h("form", { class: "task-report", dataset: { testid: "report-form" } }, percent, " % ", note,
    h("label", {}, finished, " ", t("tasks.mark_done")), " ", h("button", { type: "submit", class: "btn" }, t("tasks.report")));
  onSubmit(form, async (event) => {
    event.preventDefault();
    try {
      await post(`/api/tasks/${task.id}/reports`, { percent: Number(percent.value), note: note.value, done: finished.checked });
      done();
    } catch (err) {
      showError(err);
    }
  });
  return form;
}

// How two spellings of a unit compare (notices/access.py unit_key): no case, no diacritics, single spaces.
const unitKey = (name) => (name || "").toLowerCase().replace(/đ/g, "d").normalize("NFD").replace(/\p{Mn}/gu, "")
  .split(/\s+/).filter(Boolean).join(" ");

// `manage(task)`: the secretariat's controls under a task (correct or delete it in a draft; extend or reassign it
// once issued), from notice.js; null for a reader.
export function taskTable(tasks, { myUnit = null, onChange = () => {}, manage = null } = {}) {
  if (!tasks.length) return h("p", { class: "muted" }, t("tasks.none"));
  return h("table", { class: "dash-table" },
    h("thead", {}, h("tr", {}, h("th", {}, t("tasks.unit")), h("th", {}, t("tasks.what")), h("th", {}, t("tasks.deadline")), h("th", {}, t("tasks.progress")))),
    h("tbody", {}, tasks.map((task) => h("tr", { class: task.late ? "late" : "", dataset: { testid: "task", taskId: task.id } },
      h("td", {}, task.unit),
      h("td", {}, h("a", { href: `/notices/${task.notice_id}` }, task.what),
        myUnit && unitKey(task.unit) && unitKey(task.unit) === unitKey(myUnit) && task.state === "open" ? reportForm(task, onChange) : null,
        manage ? manage(task) : null),
      h("td", {}, vnDate(task.deadline),
        task.done_late ? h("span", { class: "badge warn", dataset: { testid: "task-done-late" } }, " ", t("tasks.done_late"))
          : task.late ? h("span", { class: "badge bad" }, " ", t("tasks.late")) : null),
      // another unit's progress is not this reader's (the server sends none): the cell says so
      task.percent == null
        ? h("td", { class: "muted" }, t("tasks.not_yours"))
        : h("td", {}, h("span", { class: "progress" }, h("span", { style: { width: `${task.percent}%` } })), ` ${task.percent}%`)))));
}
