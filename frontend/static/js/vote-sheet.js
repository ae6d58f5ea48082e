// A vote that opens reaches every voter at once: a sheet over the page with the question and the choices
// (one tap + the usual confirm), a short chime the user may turn off, and the votes tab marked. Closing the
// sheet ("Để sau") leaves a banner in the dock at the bottom to reopen it until they have voted or the vote
// closes. Who opened the vote on this tablet knows already: they get the banner, not the sheet.
import { armOnGesture, chime, setSound, soundOn, stats } from "./chime.js";
import { fill, h } from "./dom.js";
import { t } from "./i18n.js";
import { cast, isCasting, myVote, whyNot } from "./live-votes.js";
import { optionLabel } from "./vote-text.js";

const $ = (id) => document.getElementById(id);
let ctx = null;
let sheetKey = "";
const dismissed = new Set(); // votes whose sheet this user put off
const openedHere = new Set(); // votes opened from this tablet
const alerted = new Set(); // votes already announced (sheet + chime) on this page

export { stats as chimeStats };

export function markOpenedHere(voteId) {
  openedHere.add(voteId);
}

const openVote = (state) => (state?.votes ?? []).find((v) => v.state === "open") ?? null;

function paintSound() {
  const on = soundOn();
  for (const node of document.querySelectorAll("[data-sound-toggle]")) {
    node.textContent = t(on ? "sheet.sound_on" : "sheet.sound_off");
    node.setAttribute("aria-pressed", String(on));
  }
}

function later() {
  const vote = openVote(ctx.state);
  if (vote) dismissed.add(vote.id);
  ctx.rerender();
}

function onSheetClick(e) {
  const action = e.target.closest("[data-action]")?.dataset.action;
  if (action === "later") later();
  if (action === "sound") {
    setSound(!soundOn());
    paintSound();
  }
  const button = e.target.closest("[data-option-id]");
  const vote = openVote(ctx.state);
  if (!button || !vote || button.disabled) return;
  const option = vote.options.find((o) => String(o.id) === button.dataset.optionId);
  if (option) cast(vote, option);
}

export function init(context) {
  ctx = context;
  armOnGesture();
  const toggle = $("sound-toggle");
  toggle.dataset.soundToggle = "";
  toggle.addEventListener("click", () => {
    setSound(!soundOn());
    paintSound();
  });
  paintSound();
  $("vote-banner-open").addEventListener("click", () => {
    const vote = openVote(ctx.state);
    if (vote) {
      dismissed.delete(vote.id);
      openedHere.delete(vote.id);
    }
    ctx.rerender();
  });
  const sheet = $("vote-sheet");
  sheet.addEventListener("cancel", (e) => {
    e.preventDefault(); // Esc: put off, like "Để sau"
    later();
  });
  sheet.addEventListener("click", onSheetClick);
}

function content(state, vote) {
  const item = (state.agenda ?? []).find((i) => i.id === vote.agenda_item_id);
  const casting = isCasting();
  return [
    h(
      "div",
      { class: "sheet-head" },
      h("span", { class: "sheet-label" }, t("sheet.title")),
      h("span", { class: `badge vote-kind k-${vote.kind}` }, t(`vote.kind.${vote.kind}`)),
    ),
    h("h2", { id: "sheet-question", class: "sheet-question", tabindex: "-1", "data-testid": "sheet-question" }, vote.question),
    item ? h("p", { class: "muted small sheet-item" }, `${t("live.item_of", { n: item.position, total: state.agenda.length })}: ${item.title}`) : null,
    h(
      "div",
      { class: "sheet-options", role: "group", "aria-label": vote.question },
      vote.options.map((o) =>
        h(
          "button",
          { type: "button", class: `btn vote-option k-${o.kind}`, "data-testid": "sheet-option", dataset: { optionId: o.id, kind: o.kind }, disabled: casting },
          optionLabel(o),
        ),
      ),
    ),
    h(
      "div",
      { class: "sheet-foot" },
      h("span", { class: "muted small" }, t("sheet.hint")),
      h("button", { type: "button", class: "btn btn-sm", "data-action": "sound", "data-sound-toggle": "", "data-testid": "sheet-sound" }, ""),
      h("button", { type: "button", class: "btn", "data-action": "later", "data-testid": "sheet-later" }, t("sheet.later")),
    ),
  ];
}

function showSheet(state, vote) {
  const sheet = $("vote-sheet");
  const key = JSON.stringify([vote.id, vote.question, vote.kind, vote.options.map((o) => [o.id, o.label]), isCasting(), state.agenda?.length]);
  if (key !== sheetKey) {
    sheetKey = key;
    fill(sheet, content(state, vote));
    sheet.dataset.voteId = vote.id;
    paintSound();
  }
  if (!sheet.open) {
    sheet.showModal();
    $("sheet-question").focus();
  }
  if (!alerted.has(vote.id)) {
    alerted.add(vote.id);
    chime();
  }
}

function hideSheet() {
  const sheet = $("vote-sheet");
  if (sheet.open) sheet.close();
  sheetKey = "";
  fill(sheet);
}

export function render(state) {
  const vote = state.meeting.state === "started" ? openVote(state) : null;
  const me = vote ? myVote(vote.id) : undefined;
  // Known (fetched) and not voted yet, and allowed to vote.
  const pending = !!vote && !whyNot(state, vote) && me !== undefined && !me?.voted;
  const wantSheet = pending && !dismissed.has(vote.id) && !openedHere.has(vote.id);
  if (wantSheet) showSheet(state, vote);
  else hideSheet();
  const banner = $("vote-banner");
  banner.hidden = !pending || wantSheet;
  $("vote-banner-question").textContent = pending ? vote.question : "";
}
