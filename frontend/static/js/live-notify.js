// Minutes and the room display from the live page: the "Biên bản" link (staff and chair), the signed
// minutes' PDF once there is one, a lasting notice with the download link on minutes.completed, and for the
// secretariat the "Màn hình phòng họp" button that makes a display token and shows its address once.
import { del, post } from "./api.js";
import { fill, h } from "./dom.js";
import { t } from "./i18n.js";
import { toast } from "./toast.js";

const $ = (id) => document.getElementById(id);
let ctx = null;
let linksKey = "";

export function init(context) {
  ctx = context;
}

export function onEvents(info) {
  for (const event of info.reset ? [] : info.events) {
    if (event.type === "minutes.completed" && event.data?.download_url) notice(event.data);
  }
}

/** A notice that stays until closed (30 s at most) with the link to the signed PDF. */
function notice(data) {
  const link = h(
    "a",
    { href: data.download_url, target: "_blank", rel: "noopener", "data-testid": "minutes-completed-link" },
    t("minutes.completed", { version: data.version ?? "" }),
  );
  const close = h("button", { type: "button", class: "toast-close", "aria-label": t("common.close") }, "✕");
  const node = h("div", { class: "toast toast-ok toast-link", role: "status", "data-testid": "minutes-completed" }, link, close);
  close.addEventListener("click", () => node.remove());
  $("toasts").append(node);
  setTimeout(() => node.remove(), 30000);
}

function openDisplayDialog(created) {
  const url = new URL(created.url, location.origin).href;
  const input = h("input", { class: "input", readonly: true, value: url, "data-testid": "display-url", "aria-label": t("display.title") });
  const copy = h("button", { type: "button", class: "btn", "data-testid": "display-copy" }, t("display.copy"));
  const open = h("a", { class: "btn btn-primary", href: url, target: "_blank", rel: "noopener noreferrer", "data-testid": "display-open" }, t("display.open"));
  const revoke = h("button", { type: "button", class: "btn btn-danger", "data-testid": "display-revoke" }, t("display.revoke"));
  const close = h("button", { type: "button", class: "btn", "data-testid": "display-close" }, t("common.close"));
  const dialog = h(
    "dialog",
    { class: "confirm display-dialog", "data-testid": "display-dialog", "aria-label": t("display.title") },
    h("h2", {}, t("display.title")),
    h("p", { class: "muted small" }, t("display.note")),
    h("div", { class: "copy-row" }, input, copy),
    h("div", { class: "form-actions confirm-actions" }, revoke, close, open),
  );
  copy.addEventListener("click", async () => {
    input.select();
    try {
      await navigator.clipboard.writeText(url);
    } catch {
      document.execCommand?.("copy");
    }
    toast(t("display.copied"), "ok");
  });
  revoke.addEventListener("click", async () => {
    revoke.disabled = true;
    try {
      await del(`/api/meetings/${ctx.meetingId}/display-tokens/${created.id}`);
      toast(t("display.revoked"), "ok");
      dialog.close();
    } catch (err) {
      toast(err.message, "error");
      revoke.disabled = false;
    }
  });
  close.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  input.select();
}

async function createDisplay(button) {
  button.disabled = true;
  try {
    openDisplayDialog(await post(`/api/meetings/${ctx.meetingId}/display-tokens`));
  } catch (err) {
    toast(err.message, "error");
  } finally {
    button.disabled = false;
  }
}

export function render(state) {
  const me = ctx.me;
  const staff = !!(me?.can_manage || me?.can_conduct);
  const signed = state.minutes?.download_url ?? null;
  const key = JSON.stringify([staff, !!me?.can_manage, signed]);
  if (key === linksKey) return;
  linksKey = key;
  fill(
    $("head-links"),
    signed ? h("a", { class: "btn btn-sm", href: signed, target: "_blank", rel: "noopener", "data-testid": "minutes-pdf-link" }, t("minutes.signed_pdf")) : null,
  );
  fill(
    $("console-tools"),
    staff ? h("a", { class: "btn btn-sm", href: `/meetings/${ctx.meetingId}/minutes`, "data-testid": "minutes-link" }, t("minutes.link")) : null,
    me?.can_manage
      ? h("button", { type: "button", class: "btn btn-sm", "data-testid": "btn-display", onclick: (e) => createDisplay(e.currentTarget) }, t("display.button"))
      : null,
  );
}
