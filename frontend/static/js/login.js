// Login form → POST /api/auth/login → the page we came from (`next`).
import { ApiError, post, showError, clearErrors } from "./api.js";
import { t } from "./i18n.js";
import { onSubmit } from "./forms.js";

const form = document.getElementById("login-form");
const box = document.getElementById("login-error");
const submit = document.getElementById("login-submit");

onSubmit(form, async (event) => {
  event.preventDefault();
  clearErrors(form);
  box.hidden = true;
  const username = form.username.value.trim();
  const password = form.password.value;
  const missing = [];
  if (!username) missing.push({ field: "username", message: t("common.required") });
  if (!password) missing.push({ field: "password", message: t("common.required") });
  if (missing.length) {
    showError(new ApiError(422, "validation_error", t("login.failed"), missing), { form, box });
    return;
  }
  submit.disabled = true;
  submit.textContent = t("login.working");
  try {
    await post("/api/auth/login", { username, password });
    // The server already checked `next` (web/redirects.py); this repeats the core of it: one leading "/",
    // printable ASCII only (browsers drop tab/CR/LF and read "\\" as "/", turning "/\t/host" into "//host").
    const next = form.dataset.next || "/meetings";
    const local = /^\/(?![\/\\])[\x21-\x7e]*$/.test(next) && !next.includes("\\");
    window.location.assign(local ? next : "/meetings");
  } catch (err) {
    showError(err, { form, box });
    submit.disabled = false;
    submit.textContent = t("login.submit");
    form.password.select();
  }
});
