// The follow-up dashboard: notices waiting to be issued (due on the 5th working day; at risk, late) and the tasks
// open, due soon, late and done. Reloads when the server says something changed (socket event `notices`).
import { io } from "/static/vendor/socket.io.esm.min.js";
import { get, showError } from "./api.js";
import { fill, h } from "./dom.js";
import { t } from "./i18n.js";
import { taskTable, vnDate } from "./notices-tasks.js";

const $ = (id) => document.getElementById(id);

function tile(label, n, kind) {
  return h("div", { class: `dash-tile ${n && kind ? kind : ""}`, dataset: { testid: "dash-tile" } }, h("strong", {}, String(n)), label);
}

function noticeStatus(n) {
  if (n.late) return h("span", { class: "badge bad", dataset: { testid: "notice-late" } }, t("notices.late"));
  if (n.at_risk) return h("span", { class: "badge warn", dataset: { testid: "notice-at-risk" } }, t("notices.at_risk"));
  return h("span", { class: "badge ok" }, t("notices.days_left", { n: n.working_days_left }));
}

function notices(list) {
  if (!list.length) return h("p", { class: "muted" }, t("notices.none_pending"));
  return h("table", { class: "dash-table" },
    h("thead", {}, h("tr", {}, h("th", {}, t("notices.subject")), h("th", {}, t("meeting.state")), h("th", {}, t("notices.due")), h("th", {}, ""))),
    h("tbody", {}, list.map((n) => h("tr", { class: n.late ? "late" : "", dataset: { testid: "pending-notice", noticeId: n.id } },
      h("td", {}, h("a", { href: `/notices/${n.id}` }, n.meeting_title)),
      h("td", {}, h("span", { class: "badge" }, t(`notices.state.${n.state}`))),
      h("td", {}, vnDate(n.due_on)),
      h("td", {}, noticeStatus(n))))));
}

function show(data) {
  const c = data.counts;
  fill($("dash-counts"), tile(t("notices.pending"), c.notices_open), tile(t("notices.at_risk"), c.notices_at_risk, "warn"),
    tile(t("tasks.open"), c.tasks_open), tile(t("tasks.late"), c.tasks_late, "bad"),
    tile(t("tasks.done_late"), c.tasks_done_late, "warn"));
  fill($("dash-notices"), notices(data.notices));
  const opts = { myUnit: data.my_unit, onChange: reload };
  fill($("dash-late"), taskTable(data.tasks.late, opts));
  fill($("dash-soon"), taskTable(data.tasks.due_soon, opts));
  fill($("dash-open"), taskTable(data.tasks.open, opts));
  fill($("dash-done"), taskTable(data.tasks.done, opts));
}

async function reload() {
  try {
    show(await get("/api/tasks/dashboard"));
  } catch (err) {
    showError(err);
  }
}

show(JSON.parse($("dashboard-data").textContent));
const socket = io({ transports: ["websocket"] });
socket.on("notices", reload);
