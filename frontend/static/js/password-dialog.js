// A password prompt in a <dialog> (the trustee's decryption step); resolves to the password or null.
import { h } from "./dom.js";
import { t } from "./i18n.js";

export function passwordDialog(message, { okLabel = t("common.confirm") } = {}) {
  return new Promise((resolve) => {
    const input = h("input", { type: "password", autocomplete: "current-password", "data-testid": "password-input", "aria-label": t("ballot.password") });
    const ok = h("button", { type: "submit", class: "btn btn-primary", "data-testid": "password-ok" }, okLabel);
    const cancel = h("button", { type: "button", class: "btn", "data-testid": "password-cancel" }, t("common.cancel"));
    const form = h("form", { method: "dialog" }, h("p", { class: "confirm-text" }, message), h("label", {}, t("ballot.password"), input), h("div", { class: "form-actions confirm-actions" }, cancel, ok));
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
