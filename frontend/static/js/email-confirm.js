// The page of the link mailed to a new notification address: opening it changed nothing (mail scanners follow
// links); the button confirms it, for the signed-in owner of the change only (POST with the session's CSRF token).
import { post, showError } from "./api.js";
import { onSubmit } from "./forms.js";

const form = document.getElementById("email-confirm");
const done = document.querySelector('[data-testid="email-confirm-done"]');

onSubmit(form, async (event) => {
  event.preventDefault();
  try {
    await post("/api/notifications/email/confirm", { token: form.dataset.token });
    form.hidden = true;
    done.hidden = false;
  } catch (err) {
    showError(err);
  }
});
