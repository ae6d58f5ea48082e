// A password prompt in a <dialog> (the trustee's decryption step); resolves to the password or null. `label`
// names which secret is asked for (the account password, or the trustee passphrase: autocomplete off, it is not
// the site's password and a password manager should not offer it).
import { ApiError, post } from "./api.js";
import { h } from "./dom.js";
import { t } from "./i18n.js";

export function passwordDialog(message, { okLabel = t("common.confirm"), label = t("ballot.password"), passphrase = false } = {}) {
  return new Promise((resolve) => {
    const input = h("input", { type: "password", autocomplete: passphrase ? "off" : "current-password", "data-testid": "password-input", "aria-label": label });
    const ok = h("button", { type: "submit", class: "btn btn-primary", "data-testid": "password-ok" }, okLabel);
    const cancel = h("button", { type: "button", class: "btn", "data-testid": "password-cancel" }, t("common.cancel"));
    const form = h("form", { method: "dialog" }, h("p", { class: "confirm-text" }, message), h("div", { class: "field" }, h("label", {}, label, input)), h("div", { class: "form-actions confirm-actions" }, cancel, ok));
    const dialog = h("dialog", { class: "confirm", "aria-label": message, "data-testid": "password-dialog" }, form);
    const done = (answer) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      done(input.value || null);
    });
    cancel.addEventListener("click", () => done(null));
    dialog.addEventListener("cancel", (e) => {
      e.preventDefault();
      done(null);
    });
    document.body.append(dialog);
    dialog.showModal();
    input.focus();
  });
}

/** The prompt for what opens a trustee key, saying which secret it is: the trustee passphrase chosen on the
 * tablet (`sealing` "passphrase"), or the account password (a legacy key). */
export function trusteeSecretDialog(sealing, passphraseMessage, passwordMessage, okLabel) {
  return sealing === "passphrase"
    ? passwordDialog(passphraseMessage, { okLabel, label: t("ballot.passphrase"), passphrase: true })
    : passwordDialog(passwordMessage, { okLabel });
}

/** A legacy trustee key's seal (made by the server, sealed with the account password). The server does not
 * hand it out with the key or the decryption material (it would let anyone at this tablet test passwords
 * offline): it releases it for the password that opens it, each wrong one counted like a wrong login.
 * Answers the seal, or null for a wrong password; other refusals (too many tries: 429) are thrown. */
export async function legacySeal(password) {
  try {
    return (await post("/api/me/trustee-key/sealed", { password })).sealed;
  } catch (err) {
    if (err instanceof ApiError && err.status === 403) return null;
    throw err;
  }
}
