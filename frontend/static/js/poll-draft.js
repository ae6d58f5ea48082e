// The secretariat's drafting form on /polls: deadlines proposed in working days (computed by the server on the
// organisation's calendar), any instant allowed (an urgent poll may close within the hour).
import { api } from "./api.js";
import { h, fill } from "./dom.js";
import { fromLocalInput, toLocalInput } from "./format.js";
import { t } from "./i18n.js";
import { toast } from "./toast.js";
import { onSubmit } from "./forms.js";

const data = JSON.parse(document.getElementById("drafting-data").textContent);
const form = document.getElementById("poll-draft-form");
const deadline = document.getElementById("draft-deadline");

fill(document.getElementById("draft-chair"), data.members.map((m) => h("option", { value: m.id, selected: m.id === data.chair_id }, m.name)));
document.getElementById("draft-silence").value = data.silence;
deadline.value = toLocalInput(data.deadlines["3"]);
fill(document.getElementById("draft-quick"), Object.entries(data.deadlines).map(([n, iso]) =>
  h("button", { type: "button", class: "btn btn-sm", onclick: () => { deadline.value = toLocalInput(iso); } }, t("polls.f.workdays", { n }))));

onSubmit(form, async (event) => {
  event.preventDefault();
  const f = new FormData(form);
  const questions = String(f.get("questions")).split("\n").map((q) => q.trim()).filter(Boolean).map((text) => ({ text }));
  const body = { title: f.get("title"), summary: f.get("summary"), questions, chair_id: Number(f.get("chair_id")),
    deadline_at: fromLocalInput(deadline.value), silence_counts_as: f.get("silence") };
  try {
    const poll = await api("POST", "/api/polls", body);
    window.location.assign(`/polls/${poll.id}`);
  } catch (err) {
    toast(err.message, "error");
  }
});
