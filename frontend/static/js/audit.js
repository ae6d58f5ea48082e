// The admin's audit log page: newest entries first (page by page) and the hash-chain verification, which
// names the first row that no longer matches when someone altered the database by hand.
import { get, post, showError } from "./api.js";
import { h } from "./dom.js";
import { formatDateTime } from "./format.js";
import { t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
let before = null;

function row(e) {
  return h(
    "tr",
    { "data-testid": "audit-row", dataset: { id: e.id } },
    h("td", {}, e.id),
    h("td", { class: "nowrap" }, formatDateTime(e.at, { weekday: false })),
    h("td", {}, e.actor_name || (e.actor_id ? `#${e.actor_id}` : t("audit.system"))),
    h("td", {}, e.meeting_id ? h("a", { href: `/meetings/${e.meeting_id}` }, `#${e.meeting_id}`) : "—"),
    h("td", {}, h("code", {}, e.type), e.summary ? h("div", { class: "muted small" }, e.summary) : null),
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

async function verify(button) {
  const box = $("audit-verdict");
  button.disabled = true;
  try {
    const v = await post("/api/audit/verify");
    box.className = `alert ${v.ok ? "alert-ok" : "alert-error"}`;
    box.dataset.ok = String(v.ok);
    box.textContent = v.ok ? t("audit.ok", { n: v.checked }) : t("audit.broken", { id: v.first_broken_id, reason: v.reason });
    box.hidden = false;
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
