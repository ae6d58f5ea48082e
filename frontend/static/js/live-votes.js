// The vote on top of the live page (biểu quyết): the open vote, or the last result of the current item.
// Members vote with one tap + a confirm; the ack (sent after COMMIT) is what "Đã ghi nhận" means. The shared
// state carries a result (counts, names, outcome) only once the chair has published it: until then members
// see "x/y đã biểu quyết", then "Đã kết thúc, chờ công bố kết quả". Those who conduct fetch the vote as it
// stands over REST (per viewer) to decide when to close and whether to publish; a secret vote shows no
// counts to anyone while it is open.
import { get, post } from "./api.js";
import { confirmDialog } from "./confirm.js";
import { h, morph } from "./dom.js";
import { t } from "./i18n.js";
import { myRow } from "./live-view.js";
import { legacySeal, passwordDialog, trusteeSecretDialog } from "./password-dialog.js";
import { toast } from "./toast.js";
import { decryptionNode, decryptionPending, markGiven, publishable, shareAwaited } from "./vote-decryption.js";
import { optionLabel, progressNode, resultNode } from "./vote-text.js";

const PRESENT = new Set(["present_room", "present_remote"]);
const card = () => document.getElementById("vote-card");
let ctx = null;
const mine = new Map(); // vote id -> {may_vote, voted, option_id, final} (per viewer: never in the slice)
const full = new Map(); // vote id -> {key, vote}: the unpublished result, for those who conduct only
const loading = new Set();
let casting = false;
// The confirmation on screen, if any: {voteId, stop}. It closes when its vote stops being open (the chair closed
// it meanwhile), so no minister confirms a ballot that can no longer count.
let confirming = null;

export function init(context) {
  ctx = context;
}

/** The vote worth showing on top: the open one, else the latest closed/published vote of the current item. */
export function activeVote(state) {
  const list = state.votes ?? [];
  const open = list.find((v) => v.state === "open");
  if (open) return open;
  const item = state.meeting?.current_item_id;
  return list.filter((v) => ["closed", "published"].includes(v.state) && v.agenda_item_id === item).at(-1) ?? null;
}

export function onEvents(info, state) {
  if (info.reset) mine.clear(); // my choice may have changed on another device meanwhile
  if (confirming && !(state?.votes ?? []).some((v) => v.id === confirming.voteId && v.state === "open")) {
    confirming.stop.abort();
    confirming = null;
    toast(t("vote.ended_before_confirm"), "error");
  }
  if (!ctx.me?.can_conduct || !(info.reset || (info.events ?? []).some((e) => e.type?.startsWith("vote.")))) return;
  for (const vote of state?.votes ?? []) if (["open", "closed"].includes(vote.state)) loadFull(vote); // counts may have moved
}

const fullKey = (vote) => `${vote.state}:${vote.voted_count}`;
const again = new Set(); // asked again while a fetch was under way: fetch once more after it

async function loadFull(vote) {
  const id = `full:${vote.id}`;
  if (loading.has(id)) {
    again.add(id);
    return;
  }
  loading.add(id);
  try {
    const data = await get(`/api/votes/${vote.id}`);
    full.set(vote.id, { key: fullKey(data), vote: data });
    mine.set(vote.id, data.me);
    ctx.rerender();
  } catch {
    /* shown again on the next render */
  } finally {
    loading.delete(id);
    if (again.delete(id)) loadFull(vote);
  }
}

/** The vote as this viewer may see it: the shared one, or (those who conduct) its unpublished result. */
export function shown(vote) {
  if (!ctx.me?.can_conduct || !["open", "closed"].includes(vote.state)) return vote;
  const entry = full.get(vote.id);
  if (!entry || entry.key !== fullKey(vote)) loadFull(vote);
  if (!entry || entry.vote.state !== vote.state) return vote;
  return { ...vote, tally: entry.vote.tally, voters: entry.vote.voters, result: entry.vote.result };
}

async function loadMine(vote) {
  if (loading.has(vote.id)) return;
  loading.add(vote.id);
  try {
    const data = await get(`/api/votes/${vote.id}`);
    mine.set(vote.id, data.me);
    ctx.rerender();
  } catch {
    /* shown again on the next render */
  } finally {
    loading.delete(vote.id);
  }
}

/** Why the viewer cannot vote (an i18n key), or null when they may. */
export function whyNot(state, vote) {
  const row = myRow(state, ctx.me);
  if (!row) return "vote.why.none";
  if (row.role === "guest") return "vote.why.guest";
  if (row.role === "secretary") return "vote.why.secretary";
  if (PRESENT.has(row.attendance)) return null;
  if (row.attendance === "deputy") return mine.get(vote.id)?.may_vote ? null : "vote.why.deputy";
  return "vote.why.absent";
}

const labelOf = (vote, optionId) => optionLabel(vote.options.find((o) => o.id === optionId));

function countsOf(vote) {
  return vote.tally ?? vote.result?.counts ?? null;
}

/** Bars with counts per option (open/named while open; every kind once closed). */
export function tallyNode(vote, { chosen = null } = {}) {
  const counts = countsOf(vote);
  if (!counts) return null;
  const total = Math.max(1, vote.eligible_count || 0, ...Object.values(counts));
  return h(
    "ul",
    { class: "tally", "data-testid": "vote-tally" },
    vote.options.map((o) => {
      const n = counts[String(o.id)] ?? 0;
      const names = (vote.voters ?? []).filter((v) => v.option_id === o.id).map((v) => v.full_name);
      return h(
        "li",
        { class: `tally-row k-${o.kind}${o.id === chosen ? " mine" : ""}`, "data-testid": "tally-row", dataset: { optionId: o.id, count: n } },
        h("div", { class: "tally-head" }, h("span", { class: "l" }, optionLabel(o)), h("strong", { class: "n", "data-testid": "tally-count" }, n)),
        h("div", { class: "tally-bar", "aria-hidden": "true" }, h("span", { style: { width: `${Math.round((n / total) * 100)}%` } })),
        names.length ? h("div", { class: "tally-names muted small" }, names.join(", ")) : null,
      );
    }),
  );
}

export function headNode(vote) {
  return h(
    "div",
    { class: "vote-head" },
    h("span", { class: `badge vote-kind k-${vote.kind}` }, t(`vote.kind.${vote.kind}`)),
    h("span", { class: `badge vote-state s-${vote.state}`, "data-testid": "vote-state", dataset: { state: vote.state } }, t(`vote.state.${vote.state}`)),
  );
}

/** My ballot on a vote as the server last said ({may_vote, voted, option_id, final}), or undefined. */
export function myVote(voteId) {
  return mine.get(voteId);
}

export function isCasting() {
  return casting;
}

/** One tap + the confirm: casts over the socket; the ack is what "recorded" means. */
export async function cast(vote, option) {
  if (casting) return;
  const secret = vote.kind === "secret";
  const message = t(secret ? "vote.confirm_secret" : "vote.confirm", { option: optionLabel(option) });
  const stop = new AbortController();
  confirming = { voteId: vote.id, stop };
  const sure = await confirmDialog(message, { okLabel: t("vote.cast"), danger: secret, signal: stop.signal });
  if (confirming?.stop === stop) confirming = null;
  if (!sure) return;
  casting = true;
  ctx.rerender();
  try {
    if (secret) {
      const ack = await castSecret(vote, option);
      mine.set(vote.id, { ...ack.me, option_id: option.id }); // shown on this page only; the server never knew it
    } else {
      const ack = await ctx.request("vote:cast", { vote_id: vote.id, option_id: option.id });
      mine.set(vote.id, ack.me);
    }
  } catch (err) {
    toast(err.message, "error");
    if (err.code === "already_voted") mine.delete(vote.id); // fetch the truth again
  } finally {
    casting = false;
    ctx.rerender();
  }
}

// --- secret ballots: encrypted here (ballot-crypto.js), the server keeps the ciphertexts only ---------------

// Kept on this tablet per user and vote (the next user of a shared tablet does not see it as theirs), cleared
// at logout (layout.js): it links this tablet's user to their ciphertext on the board.
const RECEIPT_PREFIX = "ecabinet.receipt.";
const receiptKey = (voteId) => `${RECEIPT_PREFIX}${ctx.me?.user_id}.${voteId}`;
export const receiptOf = (voteId) => (ctx.me?.user_id ? localStorage.getItem(receiptKey(voteId)) : null);

/** Encrypt and prove on this tablet, send, and keep the receipt (its hash; it does not reveal the choice). */
async function castSecret(vote, option) {
  const crypto = await import("./ballot-crypto.js");
  await crypto.load();
  const { params, params_digest: digest } = await get(`/api/votes/${vote.id}/ballot-params`);
  const index = params.options.findIndex((o) => o.id === option.id);
  const ballot = crypto.encryptBallot(params, digest, index);
  const ack = await post(`/api/votes/${vote.id}/secret-ballots`, { ballot });
  if (ack.receipt !== crypto.receiptOf(ballot)) toast(t("ballot.receipt_mismatch"), "error");
  localStorage.setItem(receiptKey(vote.id), ack.receipt);
  return ack;
}

async function checkReceipt(vote) {
  const receipt = receiptOf(vote.id);
  try {
    const found = await get(`/api/votes/${vote.id}/board/${receipt}`);
    toast(t(found.on_board ? "ballot.on_board" : "ballot.not_on_board"), found.on_board ? "info" : "error");
  } catch (err) {
    toast(err.message, "error");
  }
}

function receiptNode(vote) {
  const receipt = vote.kind === "secret" ? receiptOf(vote.id) : null;
  if (!receipt) return null;
  return h(
    "div",
    { class: "ballot-receipt small", "data-testid": "ballot-receipt", dataset: { receipt } },
    h("div", {}, t("ballot.receipt", { receipt: `${receipt.slice(0, 16)}…` })),
    h("div", { class: "muted" }, t("ballot.receipt_hint")),
    h("button", { type: "button", class: "btn btn-sm", "data-testid": "ballot-check", onclick: () => checkReceipt(vote) }, t("ballot.check")),
  );
}

/** A key holder's step at close, on this tablet (dkg.js): the trustee passphrase (legacy key: the password)
 * opens their trustee key here, the shares
 * the others sealed to them are opened and checked (a bad one is reported as a complaint), and only the partial
 * decryption of the total, with its proof, is sent. A vote opened before the key ceremony existed (its key dealt
 * by the server) still takes the old server-side step. */
async function decryptShare(vote, button) {
  if (button) button.disabled = true;
  try {
    let material = null;
    try {
      material = await get(`/api/votes/${vote.id}/trustee-material`);
    } catch (err) {
      if (err.code !== "legacy_key") throw err;
      const password = await passwordDialog(t("ballot.decrypt_prompt"), { okLabel: t("ballot.decrypt") });
      if (!password) return;
      await post(`/api/votes/${vote.id}/decrypt`, { password }); // a vote dealt by the server: its old step
    }
    if (material) {
      // a key made on this tablet opens with the trustee passphrase; a legacy key with the account password
      const passphrase = material.sealing === "passphrase";
      const secret = await trusteeSecretDialog(material.sealing, t("ballot.passphrase_decrypt_prompt"), t("ballot.decrypt_prompt"), t("ballot.decrypt"));
      if (!secret) return;
      if (!passphrase) {
        // a legacy key's seal comes only for the password that opens it (counted on the server)
        const sealed = await legacySeal(secret);
        if (sealed === null) {
          toast(material.key_lost ? t("ballot.key_lost_password") : t("ceremony.wrong_password"), "error");
          return;
        }
        material = { ...material, sealed_key: sealed };
      }
      const dkg = await import("./dkg.js");
      await dkg.load();
      let done;
      try {
        done = await dkg.decryptPart(material, secret); // opened here: a wrong one is told here, nothing is sent
      } catch (err) {
        // a key sealed before an administrator's password reset opens only with the former password
        const wrong = passphrase ? t("ballot.wrong_passphrase") : material.key_lost ? t("ballot.key_lost_password") : t("ceremony.wrong_password");
        toast(err instanceof dkg.WrongPassword ? wrong : t("common.error"), "error");
        return;
      }
      if (done.bad.length) {
        for (const against of done.bad) {
          await post(`/api/meetings/${material.meeting_id}/key-ceremony/complaints`, { ceremony_id: material.ceremony_id, against, vote_id: vote.id });
        }
        toast(t("ceremony.bad_share"), "error");
        return;
      }
      await post(`/api/votes/${vote.id}/partial`, { shares: done.partial });
    }
    toast(t("ballot.decrypted"));
    markGiven(vote.id);
    ctx.rerender();
  } catch (err) {
    toast(err.message, "error");
  } finally {
    if (button) button.disabled = false;
  }
}

function trusteeNode(vote) {
  if (vote.kind !== "secret" || vote.state !== "closed" || vote.result) return null;
  const mineToDecrypt = shareAwaited(vote, ctx.me?.user_id); // offered only while it can succeed
  return h(
    "div",
    { class: "ballot-trustees", "data-testid": "ballot-trustees" },
    mineToDecrypt
      ? h("button", { type: "button", class: "btn btn-primary", "data-testid": "ballot-decrypt", onclick: (e) => decryptShare(vote, e.currentTarget) }, t("ballot.decrypt"))
      : null,
  );
}

/** The chair's buttons on the vote card: close an open vote, announce a closed one. */
export async function conduct(action, vote, button) {
  if (action === "close" && !(await confirmDialog(t("vote.confirm_close"), { okLabel: t("vote.close"), danger: true }))) return;
  if (button) button.disabled = true;
  try {
    await ctx.request(`vote:${action}`, { vote_id: vote.id });
  } catch (err) {
    toast(err.message, "error");
  } finally {
    if (button) button.disabled = false;
  }
}

function ballotNode(state, vote, me) {
  const why = whyNot(state, vote);
  if (why) return h("p", { class: "vote-why", "data-testid": "vote-why" }, t(why));
  if (!me) return h("p", { class: "muted" }, t("common.loading"));
  const secretDone = vote.kind === "secret" && me.voted;
  const chosen = me.option_id ?? null;
  const recorded = me.voted
    ? h(
        "div",
        { class: "vote-recorded", role: "status", "data-testid": "vote-recorded" },
        h("strong", {}, chosen ? t("vote.recorded", { option: labelOf(vote, chosen) }) : t("vote.recorded_secret")),
        h("span", { class: "small" }, secretDone ? t("vote.final") : t("vote.can_change")),
      )
    : h("p", { class: "muted" }, t("vote.tap_hint"));
  const buttons = secretDone
    ? null
    : h(
        "div",
        { class: "vote-options", role: "group", "aria-label": vote.question },
        vote.options.map((o) =>
          h(
            "button",
            {
              type: "button",
              class: `btn vote-option k-${o.kind}${o.id === chosen ? " chosen" : ""}`,
              "data-testid": "vote-option",
              dataset: { optionId: o.id, kind: o.kind },
              "aria-pressed": String(o.id === chosen),
              disabled: casting,
              onclick: () => cast(vote, o),
            },
            o.id === chosen ? `✓ ${optionLabel(o)}` : optionLabel(o),
          ),
        ),
      );
  return [recorded, buttons];
}

export function render(state) {
  const box = card();
  const active = activeVote(state);
  const vote = active && shown(active);
  box.hidden = !vote;
  if (!vote) {
    morph(box);
    return;
  }
  box.dataset.voteId = vote.id;
  box.dataset.state = vote.state;
  box.dataset.kind = vote.kind;
  const me = mine.get(vote.id);
  if (vote.state === "open" && !me && !whyNot(state, { id: vote.id })) loadMine(vote);
  const item = (state.agenda ?? []).find((i) => i.id === vote.agenda_item_id);
  const conductor = ctx.me?.can_conduct;
  const tools = h(
    "div",
    { class: "vote-tools" },
    conductor && vote.state === "open"
      ? h("button", { type: "button", class: "btn btn-danger", "data-testid": "vote-close", onclick: (e) => conduct("close", vote, e.currentTarget) }, t("vote.close"))
      : null,
    conductor && publishable(vote)
      ? h("button", { type: "button", class: "btn btn-primary", "data-testid": "vote-publish", onclick: (e) => conduct("publish", vote, e.currentTarget) }, t("vote.publish"))
      : null,
  );
  const open = vote.state === "open";
  const waiting = vote.state === "closed" && !vote.result; // closed; the chair has not published the result
  // those who conduct see the result as it stands: a secret one exists only once the key holders have decrypted
  const undecrypted = waiting && conductor && vote.kind === "secret";
  const hiddenNote = open && !vote.tally ? (vote.kind === "secret" ? "vote.secret_hidden" : "vote.hidden_until_published") : null;
  morph( // in place: a keyboard on a choice keeps it while the others' ballots come in
    box,
    h("div", { class: "vote-top" }, h("div", { class: "label" }, t("vote.title")), headNode(vote), tools),
    h("div", { class: "vote-question", "data-testid": "vote-question" }, vote.question),
    item ? h("div", { class: "muted small" }, `${t("live.item_of", { n: item.position, total: state.agenda.length })}: ${item.title}`) : null,
    open ? ballotNode(state, vote, me) : null,
    receiptNode(vote),
    open || waiting ? progressNode(vote, state.quorum) : null,
    hiddenNote ? h("p", { class: "muted small", "data-testid": vote.kind === "secret" ? "vote-secret-note" : "vote-hidden-note" }, t(hiddenNote)) : null,
    decryptionNode(vote), // the members are told how far the key holders have got
    trusteeNode(vote),
    waiting && !decryptionPending(vote)
      ? h("p", { class: "vote-waiting", role: "status", "data-testid": "vote-waiting", dataset: { undecrypted: String(undecrypted) } },
          undecrypted ? t("ballot.not_decrypted") : t("vote.awaiting_publish"))
      : null,
    tallyNode(vote, { chosen: me?.option_id ?? null }),
    open ? null : resultNode(vote),
  );
}
