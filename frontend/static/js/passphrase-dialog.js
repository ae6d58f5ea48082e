// Choosing a trustee passphrase (docs/ballot-spec.md §7): typed twice, at least MIN_LENGTH characters, not the
// user's name; why each rule matters is said where it is broken. `accept(passphrase)` runs while the dialog stays
// open (the key is drawn and sealed on this tablet: a second or two); what it throws is shown in the dialog. The
// passphrase goes nowhere else: resolves true once accepted, null when cancelled.
import { h } from "./dom.js";
import { t } from "./i18n.js";

export const MIN_LENGTH = 12;

const norm = (s) => (s ?? "").normalize("NFC").trim().toLocaleLowerCase();

/** The reason `passphrase` cannot be used (an i18n key and its parameters), or null. */
export function weakness(passphrase, again, names) {
  if (names.some((n) => n && norm(n) === norm(passphrase))) return ["ballot.passphrase_username", null];
  if ([...passphrase.normalize("NFC")].length < MIN_LENGTH) return ["ballot.passphrase_short", { min: MIN_LENGTH }];
  if (passphrase !== again) return ["ballot.passphrase_mismatch", null];
  return null;
}

export function passphraseDialog({ names = [], okLabel, accept }) {
  return new Promise((resolve) => {
    const field = (testid, label) => {
      const input = h("input", { type: "password", autocomplete: "new-password", "data-testid": testid, "aria-label": label, minlength: MIN_LENGTH });
      return [input, h("div", { class: "field" }, h("label", {}, label, input))];
    };
    const [first, firstField] = field("passphrase-input", t("ballot.passphrase"));
    const [second, secondField] = field("passphrase-again", t("ballot.passphrase_again"));
    const error = h("p", { class: "field-error", role: "alert", "data-testid": "passphrase-error", hidden: true });
    const working = h("p", { class: "muted small", role: "status", "data-testid": "passphrase-working", hidden: true }, t("ballot.key_working"));
    const ok = h("button", { type: "submit", class: "btn btn-primary", "data-testid": "passphrase-ok" }, okLabel);
    const cancel = h("button", { type: "button", class: "btn", "data-testid": "passphrase-cancel" }, t("common.cancel"));
    const form = h(
      "form",
      { method: "dialog", novalidate: true },
      h("p", { class: "confirm-text" }, t("ballot.passphrase_title")),
      h("p", { class: "small" }, t("ballot.passphrase_intro", { min: MIN_LENGTH })),
      firstField,
      secondField,
      error,
      working,
      h("div", { class: "form-actions confirm-actions" }, cancel, ok),
    );
    const dialog = h("dialog", { class: "confirm", "aria-label": t("ballot.passphrase_title"), "data-testid": "passphrase-dialog" }, form);
    let busy = false;
    const show = (text) => {
      error.textContent = text;
      error.hidden = !text;
    };
    const done = (answer) => {
      first.value = "";
      second.value = "";
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      if (busy) return;
      const why = weakness(first.value, second.value, names);
      if (why) {
        show(t(why[0], why[1] ?? undefined));
        (why[0] === "ballot.passphrase_mismatch" ? second : first).focus();
        return;
      }
      busy = true;
      show("");
      working.hidden = false;
      ok.disabled = cancel.disabled = true;
      try {
        await accept(first.value);
        done(true);
      } catch (err) {
        show(err.message || t("common.error"));
      } finally {
        busy = false;
        working.hidden = true;
        ok.disabled = cancel.disabled = false;
      }
    });
    cancel.addEventListener("click", () => done(null));
    dialog.addEventListener("cancel", (e) => {
      e.preventDefault();
      if (!busy) done(null);
    });
    document.body.append(dialog);
    dialog.showModal();
    first.focus();
  });
}
