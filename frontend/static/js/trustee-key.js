// A member who may be named key holder of a secret vote creates their trustee key once, with their password
// (the server seals it like a signing key). Shown on the meetings page only while they have none.
import { get, post } from "./api.js";
import { h } from "./dom.js";
import { t } from "./i18n.js";
import { passwordDialog } from "./password-dialog.js";
import { toast } from "./toast.js";

const box = document.getElementById("trustee-key");

async function create(button) {
  const password = await passwordDialog(t("ballot.key_prompt"), { okLabel: t("ballot.key_create") });
  if (!password) return;
  button.disabled = true;
  try {
    await post("/api/me/trustee-key", { password });
    toast(t("ballot.key_created"));
    box.hidden = true;
    document.querySelector("[data-testid=trustee-key-lost]")?.remove();
  } catch (err) {
    toast(err.message, "error");
  } finally {
    button.disabled = false;
  }
}

if (box) {
  const button = document.getElementById("trustee-key-create");
  button.addEventListener("click", () => create(button));
  get("/api/me/trustee-key")
    .then((key) => {
      box.hidden = key.enrolled;
      // an administrator reset the password: the key stays sealed with the old one, a new key is needed
      if (key.lost) button.before(h("p", { class: "muted small", "data-testid": "trustee-key-lost" }, t("ballot.key_lost")));
    })
    .catch(() => {});
}
