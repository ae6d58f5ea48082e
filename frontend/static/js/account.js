// The user's own page: change their password (the current one first; their other sessions end, this one stays).
import { ApiError, clearErrors, post, showError } from "./api.js";
import { onSubmit } from "./forms.js";
import { t } from "./i18n.js";
import { toast } from "./toast.js";

const form = document.getElementById("password-form");

function fieldError(field, message) {
  const slot = form.querySelector(`[data-error-for="${field}"]`);
  slot.textContent = message;
  slot.closest(".field")?.classList.add("invalid");
  form.querySelector(`[name="${field}"]`)?.setAttribute("aria-invalid", "true");
}

onSubmit(form, async (e) => {
  e.preventDefault();
  clearErrors(form);
  const { current, new: fresh, again } = Object.fromEntries(new FormData(form));
  if (fresh !== again) {
    fieldError("again", t("account.mismatch"));
    return;
  }
  try {
    const answer = await post("/api/me/password", { current, new: fresh });
    form.reset();
    toast(t("account.changed", { n: answer.sessions_ended }), "ok", 6000);
  } catch (err) {
    showError(err, { form });
    if (err instanceof ApiError && err.status === 403) fieldError("current", err.message);
  }
});
