// The "Biểu quyết" tab: every vote of the meeting with its state and result, and for the chair/secretariat
// the form that creates a vote on an agenda item and the buttons that open, close and announce it.
// Opening without quorum answers no_quorum; the chair may then open anyway (force: true) after a warning.
import { post, showError } from "./api.js";
import { confirmDialog } from "./confirm.js";
import { fill, h } from "./dom.js";
import { t } from "./i18n.js";
import { setCount } from "./live-tabs.js";
import { currentItem } from "./live-view.js";
import { keyReady } from "./key-ceremony.js";
import { conduct, headNode, shown } from "./live-votes.js";
import { decryptionPending, decryptionText, publishable } from "./vote-decryption.js";
import { toast } from "./toast.js";
import { onSubmit } from "./forms.js";
import { markOpenedHere } from "./vote-sheet.js";
import { defaultOptions, optionLabel } from "./vote-text.js";

const KINDS = ["open", "named", "secret"];
const RULES = ["all_members", "present", "two_thirds", "cast"];
const $ = (id) => document.getElementById(id);
let ctx = null;
let form = null;
let itemSelect = null;
let agendaKey = "";

export function init(context) {
  ctx = context;
}

function field(label, control, extra = null) {
  return h("div", { class: "field" }, h("label", {}, label, control), extra);
}

function buildForm() {
  itemSelect = h("select", { name: "agenda_item_id", "data-testid": "vote-item" });
  const question = h("textarea", { name: "question", rows: "2", required: true, placeholder: t("vote.question_ph"), "data-testid": "vote-question-input" });
  const kind = h("select", { name: "kind", "data-testid": "vote-kind" }, KINDS.map((k) => h("option", { value: k }, t(`vote.kind.${k}`))));
  const rule = h("select", { name: "rule", "data-testid": "vote-rule" }, RULES.map((r) => h("option", { value: r }, t(`vote.rule.${r}`))));
  const submit = h("button", { type: "submit", class: "btn btn-primary btn-lg", "data-testid": "vote-create" }, t("vote.create"));
  const node = h(
    "details",
    { class: "vote-new", "data-testid": "vote-new" },
    h("summary", { class: "btn" }, `+ ${t("vote.new")}`),
    h(
      "form",
      { class: "vote-form" },
      h("div", { class: "field span-2" }, h("label", {}, t("vote.question"), question), h("span", { class: "field-error", "data-error-for": "question" })),
      field(t("vote.item"), itemSelect),
      field(t("vote.kind"), kind),
      h("div", { class: "field span-2" }, h("label", {}, t("vote.rule"), rule)),
      h(
        "div",
        { class: "span-2 vote-form-foot" },
        h("div", { class: "muted small" }, `${t("vote.options")}: `, defaultOptions().map((o) => h("span", { class: "chip" }, o))),
        submit,
      ),
    ),
  );
  const formEl = node.querySelector("form");
  onSubmit(formEl, async (e) => {
    e.preventDefault();
    submit.disabled = true;
    try {
      await post(`/api/meetings/${ctx.meetingId}/votes`, {
        agenda_item_id: Number(itemSelect.value),
        question: question.value.trim(),
        kind: kind.value,
        rule: rule.value,
      });
      question.value = "";
      node.open = false;
      toast(t("vote.created"), "ok");
    } catch (err) {
      showError(err, { form: formEl });
    } finally {
      submit.disabled = false;
    }
  });
  return node;
}

function syncItems(state) {
  const current = currentItem(state);
  const key = JSON.stringify([state.agenda.map((i) => [i.id, i.title]), current?.id]);
  if (key === agendaKey) return;
  agendaKey = key;
  fill(itemSelect, state.agenda.map((i) => h("option", { value: i.id }, `${i.position}. ${i.title}`)));
  const pick = current ?? state.agenda[0];
  if (pick) itemSelect.value = String(pick.id);
}

async function openVote(vote, button, force = false) {
  button.disabled = true;
  markOpenedHere(vote.id); // who opens it knows: a banner for them, not the sheet
  try {
    await ctx.request("vote:open", force ? { vote_id: vote.id, force: true } : { vote_id: vote.id });
  } catch (err) {
    if (err.code === "no_quorum" && !force && ctx.me?.role === "chair") {
      if (await confirmDialog(err.message, { okLabel: t("vote.force"), danger: true })) return openVote(vote, button, true);
    } else {
      toast(err.message, "error");
    }
  } finally {
    button.disabled = false;
  }
}

function row(state, shared) {
  const vote = shown(shared); // the unpublished result for those who conduct; the shared vote for everyone else
  const item = state.agenda.find((i) => i.id === vote.agenda_item_id);
  const conductor = ctx.me?.can_conduct;
  const started = state.meeting.state === "started";
  const other = (state.votes ?? []).some((v) => v.state === "open" && v.id !== vote.id);
  // every button is offered by whether its action can succeed: a secret vote opens only with the meeting's joint
  // key (its key ceremony complete), a closed vote is published only once there is a result to publish
  const noKey = vote.kind === "secret" && vote.state === "draft" && keyReady() === false;
  const pending = decryptionPending(vote);
  let action = null;
  if (conductor && vote.state === "draft") {
    action = h(
      "button",
      {
        type: "button",
        class: "btn btn-success",
        "data-testid": "vote-open",
        disabled: !started || other || noKey,
        title: noKey ? t("vote.open_needs_key") : null,
        onclick: (e) => openVote(vote, e.currentTarget),
      },
      t("vote.open"),
    );
  } else if (conductor && vote.state === "open") {
    action = h("button", { type: "button", class: "btn btn-danger", onclick: (e) => conduct("close", vote, e.currentTarget) }, t("vote.close"));
  } else if (conductor && publishable(vote)) {
    action = h("button", { type: "button", class: "btn btn-primary", onclick: (e) => conduct("publish", vote, e.currentTarget) }, t("vote.publish"));
  }
  const r = vote.result;
  return h(
    "li",
    { class: `vote-row s-${vote.state}`, "data-testid": "vote-row", dataset: { voteId: vote.id, state: vote.state } },
    h(
      "div",
      { class: "body" },
      headNode(vote),
      h("div", { class: "q" }, vote.question),
      h("div", { class: "muted small" }, item ? `${item.position}. ${item.title}` : ""),
      vote.state === "open" ? h("div", { class: "small" }, t("vote.progress_present", { voted: vote.voted_count, eligible: vote.eligible_count })) : null,
      r ? h("div", { class: `small verdict-line ${r.passed ? "passed" : "failed"}` }, `${r.passed ? t("vote.passed") : t("vote.failed")} · ${summary(vote)}`) : null,
      conductor && noKey ? h("div", { class: "small muted", "data-testid": "vote-open-needs-key" }, t("vote.open_needs_key")) : null,
      pending ? h("div", { class: "small muted", "data-testid": "vote-row-waiting" }, decryptionText(pending)) : null,
      !r && !pending && vote.state === "closed"
        ? h("div", { class: "small muted", "data-testid": "vote-row-waiting" }, conductor && vote.kind === "secret" ? t("ballot.not_decrypted") : t("vote.awaiting_publish"))
        : null,
    ),
    action,
  );
}

function summary(vote) {
  const counts = vote.tally ?? vote.result?.counts ?? {};
  return vote.options.map((o) => `${optionLabel(o)}: ${counts[String(o.id)] ?? 0}`).join(" · ");
}

export function render(state) {
  const host = $("vote-console");
  const conductor = ctx.me?.can_conduct && ["draft", "published", "started"].includes(state.meeting.state);
  host.hidden = !conductor;
  if (conductor) {
    if (!form) {
      form = buildForm();
      fill(host, form);
    }
    syncItems(state);
  }
  const list = state.votes ?? [];
  const open = list.find((v) => v.state === "open");
  setCount("votes", open ? "●" : list.length ? String(list.length) : "", { alert: !!open, label: open ? t("sheet.tab_open") : null });
  if (!list.length) {
    fill($("vote-list"), h("p", { class: "muted" }, t("vote.none")));
    return;
  }
  const order = new Map(state.agenda.map((i) => [i.id, i.position]));
  const sorted = [...list].sort((a, b) => (order.get(a.agenda_item_id) ?? 0) - (order.get(b.agenda_item_id) ?? 0) || a.id - b.id);
  fill($("vote-list"), h("ul", { class: "vote-list" }, sorted.map((v) => row(state, v))));
}

