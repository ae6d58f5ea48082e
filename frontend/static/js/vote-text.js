// A vote's texts as the reader sees them. Option labels: the system's default choices are stored as the record
// keeps them (in Vietnamese: the minutes cite them so) and a reader in another language sees them translated, at
// display time only; a label the chair wrote is shown as written. The progress and the result say what each
// number counts (members present who have voted; votes in favour needed, out of which members).
import { h } from "./dom.js";
import { t } from "./i18n.js";

const DEFAULTS = { yes: "Tán thành", no: "Không tán thành", abstain: "Không biểu quyết" }; // i18n: data (the stored default labels)

export function optionLabel(option) {
  if (!option) return "";
  if (option.kind in DEFAULTS && (!option.label || option.label === DEFAULTS[option.kind])) return t(`display.option.${option.kind}`);
  return option.label ?? "";
}

/** The default choices a new vote gets (votes/schemas.py DEFAULT_OPTIONS), as the reader sees them. */
export const defaultOptions = () => Object.keys(DEFAULTS).map((kind) => optionLabel({ kind, label: DEFAULTS[kind] }));

/** What the vote's rule needs, naming what each number counts ("14 in favour, more than half of all 27 members"):
 *  the result's numbers once closed; while open the room's (votes/rules.py required_yes: the result decides). */
export function needText(vote, quorum) {
  const r = vote.result;
  const rule = r?.rule ?? vote.rule;
  if (rule === "cast") return t("vote.need.cast");
  const total = r?.total_members ?? quorum?.total ?? 0;
  const present = r?.present ?? vote.eligible_count ?? 0;
  let required = r?.required;
  if (required == null && rule === "all_members" && total) required = Math.floor(total / 2) + 1;
  if (required == null && rule === "two_thirds" && total) required = Math.ceil((2 * total) / 3);
  if (required == null && rule === "present" && present) required = Math.floor(present / 2) + 1;
  if (required == null) return null;
  const counted = rule === "present" ? present : total; // an older result may not carry its counts: the number alone
  return counted ? t(`vote.need.${rule}`, { required, total, present }) : t("vote.need", { required });
}

export function progressNode(vote, quorum = null) {
  const share = vote.eligible_count ? Math.min(100, Math.round((vote.voted_count / vote.eligible_count) * 100)) : 0;
  const need = vote.result ? null : needText(vote, quorum); // once there is a result, resultNode says it
  return h(
    "div",
    { class: "vote-progress", "data-testid": "vote-progress", dataset: { voted: vote.voted_count, eligible: vote.eligible_count } },
    h("span", { "data-testid": "vote-progress-text" }, t("vote.progress_present", { voted: vote.voted_count, eligible: vote.eligible_count })),
    need ? h("div", { class: "vote-need small", "data-testid": "vote-need" }, need) : null,
    h("div", { class: "tally-bar", "aria-hidden": "true" }, h("span", { style: { width: `${share}%` } })),
  );
}

/** Passed / not passed, the rule and the tie-break note. */
export function resultNode(vote) {
  const r = vote.result;
  if (!r) return null;
  let tie = null;
  if (r.tie) tie = r.decided_by_chair ? t("vote.tie_chair") : vote.kind === "secret" && !r.passed ? t("vote.tie_secret") : t("vote.tie");
  return h(
    "div",
    { class: `vote-result ${r.passed ? "passed" : "failed"}`, "data-testid": "vote-result", dataset: { passed: String(r.passed) } },
    h("div", { class: "verdict", "data-testid": "vote-verdict" }, r.passed ? `✓ ${t("vote.passed")}` : `✕ ${t("vote.failed")}`),
    h("div", { class: "small", "data-testid": "vote-need" }, `${needText(vote) ?? ""} · ${t("vote.yes_count", { yes: r.yes })}`),
    h("div", { class: "muted small" }, t(`vote.rule.${r.rule ?? vote.rule}`)),
    tie ? h("div", { class: "tie small", "data-testid": "vote-tie" }, tie) : null,
  );
}
