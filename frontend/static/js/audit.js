// The admin's audit log page: newest entries first (page by page) and the verification: hash chain, MAC,
// signed checkpoints outside the database and the stored state against the log, naming the first broken
// row (highlighted) and every difference. Each entry reads in the page's language, naming its subject (the server's
// `text`, audit/describe.py); the stored summary, part of the hash chain, is the fallback.
import { get, post, showError } from "./api.js";
import { fill, h } from "./dom.js";
import { formatDateTime } from "./format.js";
import { t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
let before = null;

/** The entry's kind in the reader's language ("Vote opened"); the raw type, which stays in the tooltip, when the
 *  catalogue has no label for it. */
function typeLabel(type) {
  const key = `audit.type.${type}`;
  const label = t(key);
  return label === key ? type : label;
}

function row(e) {
  return h(
    "tr",
    { "data-testid": "audit-row", dataset: { id: e.id } },
    h("td", {}, e.id),
    h("td", { class: "nowrap" }, formatDateTime(e.at, { weekday: false })),
    h("td", {}, e.actor_name || (e.actor_id ? `#${e.actor_id}` : t("audit.system"))),
    h("td", {}, e.meeting_id ? h("a", { href: `/meetings/${e.meeting_id}` }, `#${e.meeting_id}`) : "—"),
    h(
      "td",
      {},
      h("span", { class: "audit-type", title: e.type, "data-testid": "audit-type" }, typeLabel(e.type)),
      e.text || e.summary ? h("div", { class: "muted small", "data-testid": "audit-text" }, e.text || e.summary) : null,
    ),
    h("td", {}, h("code", { title: e.hash }, e.hash.slice(0, 12))),
  );
}

async function more() {
  const button = $("btn-audit-more");
  button.disabled = true;
  try {
    const page = await get(`/api/audit?limit=100${before ? `&before_id=${before}` : ""}`);
    $("audit-body").append(...page.items.map(row));
    before = page.next_before_id;
    button.hidden = !before;
    $("audit-empty").hidden = $("audit-body").children.length > 0;
  } catch (err) {
    showError(err);
  } finally {
    button.disabled = false;
  }
}

function item(label, ok, text, problems = []) {
  return [
    h("dt", {}, label),
    h("dd", { class: ok ? "ok" : "bad", dataset: { ok: String(ok) } }, text,
      problems.length ? h("ul", {}, problems.map((p) => h("li", { "data-testid": "audit-problem" }, p))) : null),
  ];
}

function details(v) {
  const cp = v.checkpoints;
  const last = cp.last
    ? t("audit.checkpoint_at", { at: formatDateTime(cp.last.at, { weekday: false }), id: cp.last.row_id, signer: cp.last.signer, count: cp.count })
    : t("audit.checkpoint_none");
  const notes = cp.uncovered_rows ? [t("audit.uncovered", { n: cp.uncovered_rows })] : [];
  return [
    item(t("audit.chain"), v.chain_ok, v.chain_ok ? t("audit.chain_ok", { n: v.checked }) : t("audit.broken", { id: v.first_broken_id, reason: v.reason })),
    item(t("audit.mac"), v.mac_ok, v.mac_ok ? t("audit.mac_ok") : t("audit.mac_bad")),
    v.legacy_rows ? item(t("audit.legacy"), true, t("audit.legacy_rows", { n: v.legacy_rows })) : null,
    item(t("audit.checkpoint"), cp.problems.length === 0 && cp.count > 0, last, [...cp.problems, ...notes]),
    item(t("audit.state"), v.mismatches.length === 0,
      v.mismatches.length ? t("audit.state_bad", { n: v.mismatches.length }) : t("audit.state_ok"), v.mismatches),
  ];
}

function headline(v) {
  if (v.ok) return t("audit.ok", { n: v.checked });
  return v.first_broken_id ? t("audit.broken", { id: v.first_broken_id, reason: v.reason }) : t("audit.not_ok");
}

async function verify(button) {
  const box = $("audit-verdict");
  button.disabled = true;
  try {
    const v = await post("/api/audit/verify");
    box.className = `alert ${v.ok ? "alert-ok" : "alert-error"}`;
    box.dataset.ok = String(v.ok);
    box.textContent = headline(v);
    box.hidden = false;
    fill($("audit-details"), details(v)).hidden = false;
    for (const tr of document.querySelectorAll("[data-testid=audit-row]")) tr.classList.toggle("broken", tr.dataset.id === String(v.first_broken_id));
  } catch (err) {
    showError(err);
  } finally {
    button.disabled = false;
  }
}

$("btn-audit-more").addEventListener("click", more);
$("btn-audit-verify").addEventListener("click", (e) => verify(e.currentTarget));
more();
