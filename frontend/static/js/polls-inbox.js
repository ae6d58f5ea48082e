// The member's inbox of open polls on the home page, kept live: a `poll` event (a poll sent, answered on another
// tablet, extended, closed) refetches GET /api/polls and redraws the list of open polls the member must answer.
import { io } from "/static/vendor/socket.io.esm.min.js";
import { get } from "./api.js";
import { h, fill } from "./dom.js";
import { formatDateTime } from "./format.js";
import { t } from "./i18n.js";

const box = document.getElementById("poll-inbox");
const list = document.getElementById("poll-inbox-list");

function row(p) {
  const badge = p.remaining
    ? h("span", { class: "badge badge-warn", "data-testid": "poll-remaining" }, t("polls.remaining", { n: p.remaining }))
    : h("span", { class: "badge badge-ok" }, t("polls.all_answered"));
  return h("li", { class: "poll-row", "data-testid": "poll-inbox-item", dataset: { pollId: p.id } },
    h("div", {}, h("a", { class: "poll-title", href: `/polls/${p.id}` }, p.title),
      h("div", { class: "meeting-meta" }, h("span", {}, `${t("polls.deadline")}: `, h("time", { datetime: p.deadline_at }, formatDateTime(p.deadline_at, { weekday: false }))), badge)),
    h("a", { class: "btn btn-primary", href: `/polls/${p.id}`, "data-testid": "poll-answer" }, t("polls.answer")));
}

async function refresh() {
  try {
    const open = (await get("/api/polls")).filter((p) => p.state === "open" && p.is_voter)
      .sort((a, b) => a.deadline_at.localeCompare(b.deadline_at));
    fill(list, open.map(row));
    box.hidden = open.length === 0;
  } catch {
    // keep what is shown; the next event or reload tries again
  }
}

if (box) {
  const socket = io({ transports: ["websocket"] });
  socket.on("poll", refresh);
  socket.on("connect", refresh);
}
