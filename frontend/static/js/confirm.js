// A touch-friendly confirmation dialog (<dialog>), instead of window.confirm which blocks and looks foreign.
import { h } from "./dom.js";
import { t } from "./i18n.js";

// `signal` (an AbortSignal): the question no longer stands (e.g. the vote it confirms has closed): the dialog
// closes by itself and answers false.
export function confirmDialog(message, { okLabel = t("common.confirm"), danger = false, signal = null } = {}) {
  return new Promise((resolve) => {
    const ok = h("button", { type: "button", class: `btn ${danger ? "btn-danger" : "btn-primary"}`, "data-testid": "confirm-ok" }, okLabel);
    const cancel = h("button", { type: "button", class: "btn", "data-testid": "confirm-cancel" }, t("common.cancel"));
    const dialog = h(
      "dialog",
      { class: "confirm", "aria-label": message, "data-testid": "confirm-dialog" },
      h("p", { class: "confirm-text" }, message),
      h("div", { class: "form-actions confirm-actions" }, cancel, ok),
    );
    let answered = false;
    const done = (answer) => {
      if (answered) return;
      answered = true;
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    signal?.addEventListener("abort", () => done(false), { once: true });
    ok.addEventListener("click", () => done(true));
    cancel.addEventListener("click", () => done(false));
    dialog.addEventListener("cancel", (e) => {
      e.preventDefault();
      done(false);
    });
    if (signal?.aborted) return done(false);
    document.body.append(dialog);
    dialog.showModal();
    ok.focus();
  });
}
