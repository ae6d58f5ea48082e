// The notifications page: the list (newest first; unread highlighted), mark read, and the e-mail preferences.
// The list reloads when the bell hears of a new notification (bell.js dispatches notifications:changed).
// Changing the e-mail address asks for the current password; a new address is only requested: it is mailed a
// confirmation link and shown "awaiting confirmation" (with a cancel button) until its owner confirms it there.
import { api, get, post, showError } from "./api.js";
import { fill, h } from "./dom.js";
import { t } from "./i18n.js";
import { toast } from "./toast.js";
import { onSubmit } from "./forms.js";
import { passwordDialog } from "./password-dialog.js";

const list = document.getElementById("notif-list");
const empty = document.getElementById("notif-empty");
const form = document.getElementById("prefs");
let savedEmail = ""; // the address as saved: only a different one needs the password
const tz = document.querySelector('meta[name="timezone"]')?.content || "Asia/Ho_Chi_Minh";
const when = (iso) => new Date(iso).toLocaleString("vi-VN", { timeZone: tz, hour: "2-digit", minute: "2-digit", day: "2-digit", month: "2-digit", year: "numeric" });

function row(n) {
  const subject = n.link ? h("a", { class: "notif-subject", href: n.link }, n.subject) : h("span", { class: "notif-subject" }, n.subject);
  const read = n.read ? null : h("button", { type: "button", class: "btn", dataset: { testid: "mark-read" },
    onclick: async () => { try { await post("/api/notifications/read", { ids: [n.id] }); load(); } catch (err) { showError(err); } } },
  t("notifications.mark_read"));
  return h("li", { class: n.read ? "" : "unread", dataset: { testid: "notification", event: n.event } },
    h("div", { class: "notif-text" }, subject, h("span", {}, n.body)),
    h("span", { class: "notif-when" }, when(n.created_at)), read);
}

async function load() {
  try {
    const found = await get("/api/notifications?limit=100");
    fill(list, found.items.map(row));
    empty.hidden = found.items.length > 0;
  } catch (err) {
    showError(err);
  }
}

// The saved address in the field (a requested one is not where mail goes yet) and the one awaiting confirmation.
function showAddress(prefs) {
  savedEmail = prefs.email ?? "";
  form.email.value = savedEmail;
  const pending = document.getElementById("pref-pending");
  pending.hidden = !prefs.pending_email;
  document.getElementById("pref-pending-text").textContent = prefs.pending_email
    ? t("notifications.pending", { email: prefs.pending_email, at: when(prefs.pending_expires_at) })
    : "";
}

async function loadPrefs() {
  const prefs = await get("/api/notifications/preferences");
  showAddress(prefs);
  form.lang.value = prefs.lang;
  fill(document.getElementById("pref-events"), prefs.events.map((e) =>
    h("label", {}, h("input", { type: "checkbox", name: "event", value: e.event, checked: e.email, dataset: { testid: `pref-${e.event}` } }), " ", t(`event.${e.event}`))));
}

async function save(event) {
  event.preventDefault();
  const events = [...form.querySelectorAll('input[name="event"]:checked')].map((i) => i.value);
  const email = form.email.value.trim();
  const body = { lang: form.lang.value, email_events: events };
  if (email !== savedEmail) {
    const password = await passwordDialog(t("notifications.email_password"), { okLabel: t("notifications.save"), label: t("account.current") });
    if (password === null) return;
    Object.assign(body, { email, password });
  }
  try {
    const saved = await api("PUT", "/api/notifications/preferences", body);
    showAddress(saved);
    const requested = body.email && saved.pending_email === body.email;
    toast(requested ? t("notifications.confirm_sent", { email: body.email }) : t("notifications.saved"), "info", requested ? 8000 : undefined);
  } catch (err) {
    showError(err);
  }
}

document.getElementById("pref-cancel").addEventListener("click", async () => {
  try {
    showAddress(await api("DELETE", "/api/notifications/email/pending"));
    toast(t("notifications.pending_cancelled"));
  } catch (err) {
    showError(err);
  }
});

document.getElementById("read-all").addEventListener("click", async () => {
  try {
    await post("/api/notifications/read", { all: true });
    load();
  } catch (err) {
    showError(err);
  }
});
document.addEventListener("notifications:changed", load);
load();
// Saving before the saved preferences are shown would overwrite them with an empty form.
loadPrefs().then(() => onSubmit(form, save), showError);
