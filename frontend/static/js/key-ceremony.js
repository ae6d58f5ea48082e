// The meeting's key ceremony on the votes tab (docs/ballot-spec.md §3.1): the chair or the secretary starts it
// once per meeting; each of the three key holders joins from their own tablet with their trustee passphrase (or,
// for a legacy key, their password: the prompt says which) (their part of the key is made on the tablet, dkg.js; the server gets only public values and shares sealed to the others).
// Every secret vote of the meeting then opens with that joint key, with no step for the key holders.
import { get, post } from "./api.js";
import { h, morph } from "./dom.js";
import { t } from "./i18n.js";
import { legacySeal, trusteeSecretDialog } from "./password-dialog.js";
import { toast } from "./toast.js";

let ctx = null;
let status = null;
let busy = false;
let loading = false;

export function init(context) {
  ctx = context;
}

const box = () => document.getElementById("key-ceremony");

/** Is the meeting's joint key ready (its ceremony complete)? null while not yet known: the votes console offers
 * "open" on a secret vote only when it can succeed (votes/ballot/election.py setup refuses it otherwise). */
export const keyReady = () => (status ? status.ceremony?.state === "complete" : null);
const base = () => `/api/meetings/${ctx.meetingId}/key-ceremony`;

async function load() {
  if (loading) return;
  loading = true;
  try {
    status = await get(base());
    ctx.rerender();
  } catch {
    /* shown on the next event */
  } finally {
    loading = false;
  }
}

export function onEvents(info) {
  if (info.reset || (info.events ?? []).some((e) => e.type === "ballot.ceremony")) load();
}

async function start(button) {
  busy = true;
  button.disabled = true;
  try {
    status = { ...status, ceremony: await post(base(), {}) };
    toast(t("ceremony.started"));
  } catch (err) {
    toast(err.message, "error");
  } finally {
    busy = false;
    ctx.rerender();
  }
}

async function join(button) {
  const cer = status.ceremony;
  let key;
  try {
    key = await get("/api/me/trustee-key");
  } catch (err) {
    toast(err.message, "error");
    return;
  }
  const passphrase = key.sealing === "passphrase";
  const password = await trusteeSecretDialog(key.sealing, t("ceremony.passphrase_prompt"), t("ceremony.prompt"), t("ceremony.join"));
  if (!password) return;
  busy = true;
  button.disabled = true;
  try {
    const dkg = await import("./dkg.js");
    await dkg.load();
    // a legacy key's seal is released only for its password (counted on the server); a passphrase key's is here
    const sealed = passphrase ? key.sealed : await legacySeal(password);
    if (sealed === null) {
      toast(t("ceremony.wrong_password"), "error");
      return;
    }
    try {
      await dkg.unsealTrusteeKey(sealed, key.user_id, password); // a passphrase is checked here only: never sent
    } catch (err) {
      const wrong = passphrase ? t("ballot.wrong_passphrase") : t("ceremony.wrong_password");
      toast(err instanceof dkg.WrongPassword ? wrong : t("common.error"), "error");
      return;
    }
    const contribution = await dkg.contribute(cer, cer.me.index);
    status = { ...status, ceremony: await post(`${base()}/contributions`, { ceremony_id: cer.id, ...contribution }) };
    toast(t("ceremony.joined"));
  } catch (err) {
    toast(err.message, "error");
  } finally {
    busy = false;
    ctx.rerender();
  }
}

function stateLine(cer) {
  if (!cer) return t("ceremony.none");
  const done = cer.trustees.filter((x) => x.contributed).length;
  if (cer.state === "collecting") return t("ceremony.collecting", { done, total: cer.trustees.length });
  if (cer.state === "complete") return t("ceremony.complete", { key: `${cer.public_key.slice(0, 16)}…` });
  return t("ceremony.disputed");
}

export function render(state) {
  const node = box();
  if (!node) return;
  if (!status) {
    load();
    return;
  }
  const cer = status.ceremony;
  const conductor = status.can_start && ["draft", "published", "started"].includes(state.meeting.state);
  const names = new Map(((cer?.trustees ?? status.default_trustees) ?? []).map((x, i) => [x.index ?? i + 1, x.name]));
  node.hidden = false;
  node.dataset.state = cer?.state ?? "none";
  morph(
    node,
    h("h2", {}, t("ceremony.title")),
    h("p", { class: `ceremony-state s-${cer?.state ?? "none"}`, "data-testid": "ceremony-state", role: "status" }, stateLine(cer)),
    h(
      "ul",
      { class: "ceremony-trustees" },
      (cer?.trustees ?? status.default_trustees).map((x) =>
        h(
          "li",
          { "data-testid": "ceremony-trustee", dataset: { done: String(!!x.contributed) } },
          h("span", { class: "mark", "aria-hidden": "true" }, x.contributed ? "✓" : cer ? "…" : x.enrolled ? "•" : "!"),
          ` ${x.name}`,
          !cer && !x.enrolled ? h("span", { class: "muted small" }, ` — ${t("ceremony.no_key")}`) : null,
        ),
      ),
    ),
    (cer?.complaints ?? []).map((c) =>
      h("p", { class: "ceremony-complaint", "data-testid": "ceremony-complaint" }, t("ceremony.complaint", { by: names.get(c.by) ?? c.by, against: names.get(c.against) ?? c.against })),
    ),
    h("p", { class: "muted small" }, cer?.state === "complete" ? t("ceremony.hint_done") : t("ceremony.hint")),
    h(
      "div",
      { class: "form-actions" },
      conductor && (!cer || cer.state !== "complete")
        ? h("button", { type: "button", class: cer ? "btn" : "btn btn-primary", "data-testid": "ceremony-start", disabled: busy, onclick: (e) => start(e.currentTarget) },
            cer ? t("ceremony.restart") : t("ceremony.start"))
        : null,
      cer?.state === "collecting" && cer.me && !cer.me.contributed
        ? h("button", { type: "button", class: "btn btn-primary", "data-testid": "ceremony-join", disabled: busy, onclick: (e) => join(e.currentTarget) }, t("ceremony.join"))
        : null,
    ),
  );
}
