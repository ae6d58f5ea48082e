// One poll's page: the member's answer sheet, the secretariat's follow-up, the chair's approval, the summary
// report signed by the Government Office (its head, or a Vice Chairman on his behalf), the chair's decision on it,
// the results once closed. Rendered from GET /api/polls/{id}; a live `poll` event for this poll refetches it.
import { io } from "/static/vendor/socket.io.esm.min.js";
import { api, csrfToken, errorFrom, get, post } from "./api.js";
import { h, fill } from "./dom.js";
import { formatDateTime, fromLocalInput, toLocalInput } from "./format.js";
import { t } from "./i18n.js";
import { toast } from "./toast.js";
import { onSubmit } from "./forms.js";
import { confirmDialog } from "./confirm.js";

const root = document.getElementById("poll");
const pollId = Number(root.dataset.pollId);
const userId = Number(root.dataset.userId);
let poll = JSON.parse(document.getElementById("poll-data").textContent);
let dirty = false; // the member is filling in the sheet: a live refresh must not wipe what they typed

const CHOICES = ["agree", "disagree", "other"];
const $ = (id) => document.getElementById(id);

function header() {
  const state = $("poll-state");
  state.textContent = t(`polls.state.${poll.state}`);
  state.className = `badge poll-state-${poll.state}`;
  $("poll-deadline").textContent = formatDateTime(poll.deadline_at);
  $("poll-silence").textContent = t(`polls.silence.${poll.silence_counts_as}`);
  fill($("poll-summary"), poll.summary ? [h("h2", {}, t("polls.summary")), h("p", { class: "pre" }, poll.summary)] : []);
  fill($("poll-docs"), poll.documents.length ? [h("h2", {}, t("polls.documents")),
    h("ul", { class: "poll-docs" }, poll.documents.map((d) => h("li", {},
      h("button", { type: "button", class: "btn btn-sm", "data-testid": "poll-doc", onclick: () => openDocument(d) }, d.title))))] : []);
  fill($("poll-history"), poll.extensions.length ? [h("h2", {}, t("polls.history")), h("ul", { "data-testid": "poll-history" },
    poll.extensions.map((e) => h("li", {}, `${formatDateTime(e.old_deadline)} → ${formatDateTime(e.new_deadline)}: ${e.reason}`)))] : []);
  fill($("poll-report-status"), reportStatus());
  fill($("poll-withdrawn"), poll.state === "withdrawn" ? h("p", { class: "alert", "data-testid": "poll-withdrawn-note" },
    t("polls.withdrawn_note", { when: formatDateTime(poll.withdrawn_at), reason: poll.withdraw_reason ?? "" })) : []);
}

// Where the summary report stands: waiting for the Government Office's signature, signed (by whom, when), decided.
function reportStatus() {
  const lines = [];
  if (poll.state === "closed" && !poll.may_sign_report) lines.push(t("polls.report_waiting"));
  if (poll.report_signer) {
    const s = poll.report_signer;
    lines.push(t("polls.report_signed_by", { number: poll.report_number ?? "", signer: `${s.title} ${s.full_name}`.trim(),
      when: formatDateTime(poll.report_signed_at) }));
  }
  if (poll.state === "decided" && poll.decided_by) {
    lines.push(t("polls.decided_note", { name: poll.decided_by, when: formatDateTime(poll.decided_at) }));
    if (poll.decision_note) lines.push(t("polls.decision", { note: poll.decision_note }));
  }
  return lines.length ? h("div", { class: "poll-report-status", "data-testid": "poll-report-status" }, lines.map((l) => h("p", {}, l))) : [];
}

// The secretariat withdraws a poll before it closes, with a reason (the voters are told; it leaves their inbox).
function withdrawForm() {
  const reason = h("input", { name: "reason", required: true, maxlength: 1000, placeholder: t("polls.withdraw_reason"),
    "aria-label": t("polls.withdraw_reason"), "data-testid": "poll-withdraw-reason" });
  const form = h("form", { class: "poll-extend", "data-testid": "poll-withdraw-form" }, reason,
    h("button", { type: "submit", class: "btn btn-danger", "data-testid": "poll-withdraw" }, t("polls.withdraw")));
  onSubmit(form, async (event) => {
    event.preventDefault();
    if (!(await confirmDialog(t("polls.withdraw_confirm"), { okLabel: t("polls.withdraw"), danger: true }))) return;
    await act(() => post(`/api/polls/${pollId}/withdraw`, { reason: reason.value }));
  });
  return form;
}

// The documents in the viewer: the pages as watermarked images (the reader's name and the time on each).
function openDocument(d) {
  const viewer = $("poll-viewer");
  viewer.hidden = false;
  const pages = Array.from({ length: d.page_count }, (_, i) => h("img", { class: "poll-page", loading: "lazy", alt: `${d.title} – ${i + 1}`,
    src: `/api/polls/${pollId}/documents/${d.id}/pages/${i + 1}?size=tablet`, "data-testid": "poll-page" }));
  fill(viewer, h("div", { class: "poll-viewer-head" }, h("strong", {}, d.title),
    h("button", { type: "button", class: "btn btn-sm", "aria-label": t("common.close"), title: t("common.close"),
      onclick: () => { viewer.hidden = true; } }, "×")), pages); // i18n: data (a symbol; its name is the aria-label)
  viewer.scrollIntoView({ block: "start" });
}

async function act(fn) {
  try {
    poll = await fn();
    dirty = false;
    render();
  } catch (err) {
    toast(err.message, "error");
  }
}

let shownActions = ""; // what the action bar was drawn for: a live refresh leaves it (and what is typed in it) alone

function actions() {
  const box = $("poll-actions");
  const buttons = [];
  const staff = Array.isArray(poll.voters) && poll.chair_id !== userId;
  const key = JSON.stringify([poll.state, staff, poll.chair_id === userId, poll.deadline_at, poll.may_sign_report,
    poll.may_decide, poll.report_to_sign?.digest, poll.report_sha256]);
  if (key === shownActions) return;
  shownActions = key;
  if (poll.state === "draft" && staff) {
    buttons.push(h("button", { type: "button", class: "btn btn-primary btn-lg", "data-testid": "poll-submit",
      onclick: () => act(() => post(`/api/polls/${pollId}/submit`)) }, t("polls.submit")));
  }
  if (poll.state === "submitted" && poll.chair_id === userId) {
    buttons.push(h("p", { class: "muted" }, t("polls.approve_note", { n: poll.voter_count })),
      h("button", { type: "button", class: "btn btn-success btn-lg", "data-testid": "poll-approve",
        onclick: () => act(() => post(`/api/polls/${pollId}/approve`)) }, t("polls.approve")));
  }
  if (["closed", "reported", "decided"].includes(poll.state) && (Array.isArray(poll.voters) || poll.may_sign_report || poll.report_sha256)) {
    // a signer opens the very report his page will sign (a report that reads otherwise by then: 409, reload)
    const shown = poll.may_sign_report && poll.report_to_sign ? `?digest=${poll.report_to_sign.digest}` : "";
    buttons.push(h("a", { class: "btn", href: `/api/polls/${pollId}/report${shown}`, target: "_blank", "data-testid": "poll-report" }, t("polls.report")));
  }
  if (poll.state === "open" && Array.isArray(poll.voters)) {
    const when = h("input", { type: "datetime-local", id: "extend-deadline", "aria-label": t("polls.deadline"), value: toLocalInput(poll.deadline_at) });
    const reason = h("input", { id: "extend-reason", maxlength: 1000, placeholder: t("polls.extend_reason"), "aria-label": t("polls.extend_reason") });
    buttons.push(h("span", { class: "poll-extend" }, when, reason, h("button", { type: "button", class: "btn", "data-testid": "poll-extend",
      onclick: () => act(() => post(`/api/polls/${pollId}/extend`, { deadline_at: fromLocalInput(when.value), reason: reason.value })) }, t("polls.extend"))));
  }
  if (["draft", "submitted", "open"].includes(poll.state) && Array.isArray(poll.voters) && poll.chair_id !== userId) {
    const title = h("input", { id: "doc-title", maxlength: 500, placeholder: t("polls.doc_title"), "aria-label": t("polls.doc_title") });
    const file = h("input", { type: "file", id: "doc-file", accept: ".pdf,.docx,.doc,.odt,.xlsx,.pptx" });
    const restricted = h("input", { type: "checkbox", id: "doc-restricted" });
    buttons.push(h("span", { class: "poll-extend" }, title, file, h("label", {}, restricted, ` ${t("polls.doc_restricted")}`),
      h("button", { type: "button", class: "btn", "data-testid": "poll-add-doc", onclick: () => upload(title, file, restricted) }, t("polls.add_doc"))));
  }
  if (["draft", "submitted", "open"].includes(poll.state) && Array.isArray(poll.voters) && poll.chair_id !== userId) {
    buttons.push(withdrawForm());
  }
  if (poll.state === "closed" && poll.may_sign_report && poll.report_to_sign) {
    // the Government Office's head (or a Vice Chairman on his behalf) signs the report he was shown
    buttons.push(h("p", { class: "poll-actions-hint", "data-testid": "poll-sign-hint" },
      t("polls.report_to_sign", { number: poll.report_to_sign.number ?? "" })),
    passwordForm("report-password", "poll-sign-report", "btn-primary", t("polls.sign_report"), [],
      (pw) => post(`/api/polls/${pollId}/report/sign`, { password: pw, report_digest: poll.report_to_sign.digest })));
  }
  if (poll.state === "reported" && poll.may_decide && poll.report_sha256) {
    // the chair decides on the signed report he reads (its file's digest), confirming with his signing password
    const note = h("textarea", { id: "decision-note", rows: 3, maxlength: 4000, "data-testid": "poll-decision-note" });
    buttons.push(h("p", { class: "poll-actions-hint" }, t("polls.report_decide_hint", { number: poll.report_number ?? "" })),
      passwordForm("decide-password", "poll-decide", "btn-success", t("polls.decide"),
        [h("label", { class: "poll-decision-note" }, h("span", { class: "muted small" }, t("polls.decide_note")), note)],
        (pw) => post(`/api/polls/${pollId}/decide`, { report_sha256: poll.report_sha256, password: pw, note: note.value })));
  }
  fill(box, buttons.length ? h("div", { class: "card poll-actions" }, buttons) : []);
}

// A step confirmed with the signing password (signing the report, deciding on it): a form, so that Enter sends it
// and an empty password is stopped by the browser before anything is sent; the button is held while it is sent
// (a second tap would sign twice: 409).
function passwordForm(id, testid, kind, label, fields, send) {
  const pw = h("input", { type: "password", id, required: true, autocomplete: "current-password",
    "aria-label": t("polls.sign_password"), placeholder: t("polls.sign_password") });
  const button = h("button", { type: "submit", class: `btn ${kind}`, "data-testid": testid }, label);
  const form = h("form", { class: "poll-password-form" }, fields, h("span", { class: "poll-password-row" }, pw, button));
  onSubmit(form, async (event) => {
    event.preventDefault();
    button.disabled = true;
    try {
      await act(() => send(pw.value));
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

async function upload(title, file, restricted) {
  if (!file.files.length) return;
  const form = new FormData();
  form.append("title", title.value || file.files[0].name);
  form.append("restricted", restricted.checked ? "true" : "false");
  form.append("file", file.files[0]);
  try {
    const r = await fetch(`/api/polls/${pollId}/documents`, { method: "POST", body: form, credentials: "same-origin", headers: { "X-CSRF-Token": csrfToken() } });
    if (!r.ok) throw errorFrom(r.status, await r.json().catch(() => null));
    await refresh();
  } catch (err) {
    toast(err.message, "error");
  }
}

function answerForm() {
  const form = $("poll-answer");
  const open = poll.state === "open" && poll.is_voter;
  form.hidden = !open;
  if (!open || dirty) return;
  const items = poll.questions.map((q) => {
    const mine = q.my_answer ?? {};
    const name = `q-${q.id}`;
    return h("fieldset", { class: "card poll-question", "data-testid": "poll-question", dataset: { questionId: q.id } },
      h("legend", {}, h("strong", {}, t("polls.question", { n: q.position })), " ", q.text),
      h("div", { class: "poll-choices", role: "radiogroup" }, CHOICES.map((c) => h("label", { class: `poll-choice poll-choice-${c}` },
        h("input", { type: "radio", name, value: c, checked: mine.choice === c, "data-testid": `choice-${c}`, onchange: () => { dirty = true; } }),
        h("span", {}, t(`polls.choice.${c}`))))),
      h("label", { class: "poll-comment" }, h("span", { class: "muted small" }, t("polls.comment")),
        h("textarea", { name: `${name}-comment`, rows: 2, maxlength: 4000, oninput: () => { dirty = true; } }, mine.comment ?? "")));
  });
  const sign = h("input", { type: "checkbox", id: "poll-sign", "data-testid": "poll-sign" });
  const password = h("input", { type: "password", id: "poll-password", autocomplete: "current-password", placeholder: t("polls.sign_password"), hidden: true });
  sign.addEventListener("change", () => { password.hidden = !sign.checked; });
  const status = poll.remaining ? t("polls.remaining", { n: poll.remaining }) : t("polls.all_answered");
  fill(form, items,
    h("div", { class: "card poll-send" },
      h("p", { "data-testid": "poll-progress" }, h("strong", {}, status), " · ", poll.signed ? t("polls.signed") : t("polls.unsigned"),
        " · ", h("span", { class: "muted" }, t("polls.replace_note"))),
      h("label", { class: "poll-sign" }, sign, " ", t("polls.sign")), password,
      h("button", { type: "submit", class: "btn btn-primary btn-lg", "data-testid": "poll-send" }, t("polls.send"))));
}

async function send(event) {
  event.preventDefault();
  const answers = [];
  for (const q of poll.questions) {
    const picked = document.querySelector(`input[name="q-${q.id}"]:checked`);
    if (!picked) continue;
    const comment = document.querySelector(`textarea[name="q-${q.id}-comment"]`).value;
    answers.push({ question_id: q.id, choice: picked.value, comment });
  }
  if (!answers.length) {
    toast(t("polls.remaining", { n: poll.remaining }), "error");
    return;
  }
  const body = { answers };
  if ($("poll-sign")?.checked) body.password = $("poll-password").value;
  try {
    poll = await api("POST", `/api/polls/${pollId}/answers`, body);
    dirty = false;
    toast(t("polls.sent_ok"), "success");
    render();
  } catch (err) {
    toast(err.message, "error");
  }
}

function results() {
  const box = $("poll-results");
  const done = ["closed", "reported", "decided"].includes(poll.state);
  box.hidden = !done;
  if (!done) return;
  fill(box, h("div", { class: "card" }, h("h2", {}, t("polls.results")), h("p", { class: "muted" }, t("polls.closed_note")),
    poll.questions.map((q) => {
      const r = q.result;
      const verdict = r.adopted ? t("polls.adopted") : t("polls.not_adopted");
      return h("div", { class: "poll-result", "data-testid": "poll-result" },
        h("h3", {}, `${t("polls.question", { n: q.position })}. ${q.text}`),
        h("p", {}, `${t("polls.choice.agree")}: ${r.agree} · ${t("polls.choice.disagree")}: ${r.disagree} · ${t("polls.choice.other")}: ${r.other} · ${t("polls.silent")}: ${r.silent} / ${r.voters}`),
        h("p", {}, h("strong", { class: r.adopted ? "ok" : "bad" }, verdict), r.tie && r.decided_by_chair ? ` (${t("polls.tie_chair")})` : ""),
        h("ul", {}, (q.answers ?? []).filter((a) => a.comment).map((a) => h("li", {}, `${a.full_name} (${t(`polls.choice.${a.choice}`)}): ${a.comment}`))));
    })));
}

function followup() {
  const box = $("poll-followup");
  const show = Array.isArray(poll.voters) && poll.state !== "draft";
  box.hidden = !show;
  if (!show) return;
  const n = poll.questions.length;
  const rows = [...poll.voters].sort((a, b) => a.answered - b.answered || a.full_name.localeCompare(b.full_name, "vi"));
  fill(box, h("h2", {}, t("polls.followup")),
    h("p", { "data-testid": "poll-followup-count" }, t("polls.followup_count", { answered: poll.answered_count, total: poll.voter_count })),
    h("table", { class: "poll-table" },
      h("thead", {}, h("tr", {}, h("th", {}, t("polls.member")), h("th", {}, t("polls.answered_n")), h("th", {}, t("polls.when")), h("th", {}, ""))),
      h("tbody", {}, rows.map((v) => h("tr", { class: v.answered < n ? "pending" : "", "data-testid": "poll-voter" },
        h("td", {}, v.full_name, v.title ? h("span", { class: "muted small" }, ` · ${v.title}`) : ""),
        h("td", { class: "answered" }, v.answered ? `${v.answered}/${n}` : t("polls.not_answered")),
        h("td", {}, v.answered_at ? formatDateTime(v.answered_at) : ""),
        h("td", {}, v.signed ? t("polls.signed") : ""))))));
}

function render() {
  header();
  actions();
  answerForm();
  results();
  followup();
  root.dataset.ready = "true";
}

async function refresh() {
  try {
    poll = await get(`/api/polls/${pollId}`);
    render();
  } catch (err) {
    if (err.status === 403 || err.status === 404) {
      // no longer his to see (a signer whose designation was withdrawn): what the page offered goes, and it says why
      shownActions = "";
      fill($("poll-actions"), h("p", { class: "alert", "data-testid": "poll-gone" }, err.message));
      return;
    }
    toast(err.message, "error");
  }
}

onSubmit($("poll-answer"), send);
render();
const socket = io({ transports: ["websocket"] });
socket.on("poll", (event) => {
  if (event.poll_id === pollId) refresh();
});
socket.on("connect", () => refresh()); // a reconnect may have missed events
