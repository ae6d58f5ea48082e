// A closed secret vote's joint decryption as the members' tablets show it (votes/serialize.py `decryption`: shares
// needed, shares given, which key holders gave theirs; members only, never guests nor the hall display): the
// line "Đã có 1/2 phần giải mã; đang chờ: …" with the key holders ✓ as the key ceremony lists them, following each
// share live ("vote.partial"), and whether the chair's "publish" can succeed yet.
import { h } from "./dom.js";
import { t } from "./i18n.js";

/** A closed secret vote's joint decryption while it still waits for shares ({threshold, decrypted, trustees}),
 * as the members are told it (votes/serialize.py); null once enough are in, and for guests and the hall display
 * (never told it). */
export function decryptionPending(vote) {
  const d = vote.decryption;
  return vote.kind === "secret" && vote.state === "closed" && d && d.decrypted < d.threshold ? d : null;
}

/** Can the chair publish this vote now? A closed vote can, a secret one only once its total is decrypted (the
 * server refuses it before): the button is offered by whether it can succeed, not by the state alone. */
export function publishable(vote) {
  if (vote.state !== "closed") return false;
  if (vote.kind !== "secret" || vote.result) return true;
  const d = vote.decryption;
  return !!d && d.decrypted >= d.threshold;
}

/** "1/2 shares in; waiting for: …" and the key holders with a ✓ for those who gave theirs, as the key ceremony
 * lists them; it follows each share live (the "vote.partial" event). */
export function decryptionText(d) {
  const waiting = d.trustees.filter((x) => !x.decrypted).map((x) => x.name);
  return t("ballot.decryption_progress", { done: d.decrypted, needed: d.threshold, waiting: waiting.join(", ") });
}

export function decryptionNode(vote) {
  const d = decryptionPending(vote);
  if (!d) return null;
  return h(
    "div",
    { class: "decryption", "data-testid": "decryption", dataset: { decrypted: d.decrypted, threshold: d.threshold } },
    h("p", { class: "vote-waiting", role: "status", "data-testid": "vote-waiting", dataset: { undecrypted: "true" } }, decryptionText(d)),
    h(
      "ul",
      { class: "decryption-trustees", "aria-label": t("ballot.decryption_trustees") },
      d.trustees.map((x) =>
        h(
          "li",
          { "data-testid": "decryption-trustee", dataset: { done: String(x.decrypted), userId: x.user_id } },
          h("span", { class: "mark", "aria-hidden": "true" }, x.decrypted ? "✓" : "…"),
          ` ${x.name}`,
        ),
      ),
    ),
  );
}

const given = new Set(); // votes whose share this tablet gave: no second offer before the server's event arrives

export function markGiven(voteId) {
  given.add(voteId);
}

/** Is the viewer's share of this closed secret vote still awaited (then "Giải mã phần của tôi" can succeed)? The
 * server's list says whether it is in (given from any of their devices, before a reload too) and whether enough
 * are in already; without the list (an older answer), whether they hold a key and this tablet has not given it. */
export function shareAwaited(vote, userId) {
  if (given.has(vote.id)) return false;
  const d = vote.decryption;
  if (!d) return (vote.trustee_ids ?? []).includes(userId);
  const mine = d.trustees.find((x) => x.user_id === userId);
  return !!decryptionPending(vote) && !!mine && !mine.decrypted;
}
