// The administrator's accounts page: create an account; change an account's role, lock or unlock it, reset its
// password. Each change ends that person's sessions (their tablets sign in again); a reset also says which
// secret votes wait for a ballot key that the old password sealed (votes/ballot/custody.py).
import { clearErrors, get, patch, post, showError } from "./api.js";
import { confirmDialog } from "./confirm.js";
import { fill, h } from "./dom.js";
import { onSubmit } from "./forms.js";
import { t } from "./i18n.js";
import { passwordDialog } from "./password-dialog.js";
import { toast } from "./toast.js";

const ROLES = ["member", "secretariat", "guest", "admin"];
const $ = (id) => document.getElementById(id);

async function change(user, body, done) {
  try {
    const answer = await patch(`/api/users/${user.id}`, body);
    toast(done, "ok");
    const lost = answer.trustee_key_lost;
    if (lost) toast(t("users.key_lost", { votes: lost.pending_votes.length, ceremonies: lost.ceremonies.length }), "info", 12000);
  } catch (err) {
    showError(err);
  }
  await load();
}

function roleSelect(user) {
  const select = h(
    "select",
    { "aria-label": t("users.role_of", { name: user.full_name }), "data-testid": "user-role", disabled: user.me || !user.is_active },
    ROLES.map((r) => h("option", { value: r, selected: r === user.role }, t(`users.role.${r}`))),
  );
  select.addEventListener("change", async () => {
    const role = select.value;
    const ok = await confirmDialog(t("users.confirm_role", { name: user.full_name, role: t(`users.role.${role}`) }));
    if (!ok) {
      select.value = user.role;
      return;
    }
    await change(user, { role }, t("users.role_changed", { name: user.full_name }));
  });
  return select;
}

function actions(user) {
  if (user.me) return h("span", { class: "muted small" }, t("users.me"));
  const lock = h(
    "button",
    { type: "button", class: user.is_active ? "btn btn-danger" : "btn", "data-testid": "user-lock" },
    t(user.is_active ? "users.lock" : "users.unlock"),
  );
  lock.addEventListener("click", async () => {
    const message = t(user.is_active ? "users.confirm_lock" : "users.confirm_unlock", { name: user.full_name });
    if (!(await confirmDialog(message, { danger: user.is_active }))) return;
    await change(user, { is_active: !user.is_active }, t(user.is_active ? "users.locked_done" : "users.unlocked_done", { name: user.full_name }));
  });
  const reset = h("button", { type: "button", class: "btn", "data-testid": "user-reset" }, t("users.reset"));
  reset.addEventListener("click", async () => {
    const password = await passwordDialog(t("users.reset_prompt", { name: user.full_name }), { okLabel: t("users.reset") });
    if (!password) return;
    await change(user, { password }, t("users.reset_done", { name: user.full_name }));
  });
  return h("div", { class: "row-actions" }, lock, reset);
}

function row(user) {
  const who = [user.title, user.unit].filter(Boolean).join(", ");
  return h(
    "tr",
    { "data-testid": "user-row", dataset: { username: user.username, active: String(user.is_active) } },
    h("td", {}, h("code", {}, user.username)),
    h("td", {}, user.full_name, who ? h("div", { class: "muted small" }, who) : null),
    h("td", {}, roleSelect(user)),
    h("td", { "data-testid": "user-state" }, h("span", { class: user.is_active ? "badge badge-started" : "badge badge-ended" }, t(user.is_active ? "users.active" : "users.locked"))),
    h("td", {}, actions(user)),
  );
}

async function load() {
  try {
    fill($("users-body"), ...(await get("/api/accounts")).map(row));
  } catch (err) {
    showError(err);
  }
}

onSubmit($("user-form"), async (e) => {
  e.preventDefault();
  const form = e.currentTarget;
  clearErrors(form);
  const body = Object.fromEntries(new FormData(form));
  try {
    let made;
    try {
      made = await post("/api/users", body);
    } catch (err) {
      // another account has this full name (accounts/namesakes.py): the server's message asks to confirm
      if (err.code !== "same_name" || !(await confirmDialog(err.message))) throw err;
      made = await post("/api/users", { ...body, same_name_confirmed: true });
    }
    toast(t("users.created", { name: made.full_name }), "ok");
    form.reset();
    await load();
  } catch (err) {
    showError(err, { form });
  }
});

load();
