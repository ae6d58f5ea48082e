// A touch-friendly confirmation dialog (<dialog>), instead of window.confirm which blocks and looks foreign.
import { h } from "./dom.js";
import { t } from "./i18n.js";

export function confirmDialog(message, { okLabel = t("common.confirm"), danger = false } = {}) {
  return new Promise((resolve) => {
    const ok = h("button", { type: "button", class: `btn ${danger ? "btn-danger" : "btn-primary"}`, "data-testid": "confirm-ok" }, okLabel);
    const cancel = h("button", { type: "button", class: "btn", "data-testid": "confirm-cancel" }, t("common.cancel"));
    const dialog = h(
      "dialog",
      { class: "confirm", "aria-label": message, "data-testid": "confirm-dialog" },
      h("p", { class: "confirm-text" }, message),
      h("div", { class: "form-actions confirm-actions" }, cancel, ok),
    );
    const done = (answer) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    ok.addEventListener("click", () => done(true));
    cancel.addEventListener("click", () => done(false));
    dialog.addEventListener("cancel", (e) => {
      e.preventDefault();
      done(false);
    });
    document.body.append(dialog);
    dialog.showModal();
    ok.focus();
  });
}
