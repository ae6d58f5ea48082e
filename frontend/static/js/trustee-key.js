// A member who may be named key holder of a secret vote creates their trustee key once, ON THIS TABLET
// (docs/ballot-spec.md §7): the X25519 pair is drawn here and its secret half sealed here with a trustee
// passphrase that never leaves the tablet (dkg.js newTrusteeKey); the server receives the public half and the
// sealed blob only. Shown on the meetings page while they have no key, their key was lost (an administrator's
// reset of a legacy key), or their key is a legacy one (made by the server, sealed with the account password):
// then it offers to replace it with one made here.
import { get, post } from "./api.js";
import { h } from "./dom.js";
import { t } from "./i18n.js";
import { passphraseDialog } from "./passphrase-dialog.js";
import { toast } from "./toast.js";

const box = document.getElementById("trustee-key");

async function create(button) {
  button.disabled = true;
  try {
    const [{ user }, dkg] = await Promise.all([get("/api/me"), import("./dkg.js")]);
    await dkg.load();
    const made = await passphraseDialog({
      names: [user.username, user.full_name],
      okLabel: t("ballot.key_create"),
      // drawn, sealed and checked here; only {public_key, sealed_key, sealing} is sent
      accept: async (passphrase) => post("/api/me/trustee-key", await dkg.newTrusteeKey(user.id, passphrase)),
    });
    if (!made) return;
    toast(t("ballot.key_created"));
    box.hidden = true;
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
      const legacy = key.enrolled && key.sealing === "account_password";
      box.hidden = key.enrolled && !legacy;
      // an administrator reset the password: the key stays sealed with the old one, a new key is needed
      if (key.lost) button.before(h("p", { class: "muted small", "data-testid": "trustee-key-lost" }, t("ballot.key_lost")));
      if (legacy) {
        button.before(h("p", { class: "muted small", "data-testid": "trustee-key-upgrade" }, t("ballot.key_upgrade")));
        button.textContent = t("ballot.key_upgrade_button");
      }
    })
    .catch(() => {});
}
