// The minutes page's "check the secret-ballot boards" button: the server runs on the meeting's boards the checks
// `ecabinet verify-ballot` runs offline (every ballot's proofs, the total, the decryption, the outcome by the rule)
// and the page says, per vote, whether it holds, with the fingerprint the minutes cite. Auditors keep the file.
import { get, showError } from "./api.js";
import { fill, h } from "./dom.js";
import { t } from "./i18n.js";
import { optionLabel } from "./vote-text.js";

function counts(line) {
  if (!line.counts) return h("div", { class: "muted small" }, t("boards.not_decrypted"));
  const text = line.counts.map((c) => `${optionLabel(c)}: ${c.n}`).join(" · ");
  const verdict = line.passed === null ? "" : ` — ${line.passed ? t("vote.passed") : t("vote.failed")}`;
  return h("div", { class: "small", "data-testid": "board-counts" }, text + verdict);
}

function row(line) {
  return h(
    "li",
    { class: `board-check ${line.ok ? "ok" : "bad"}`, "data-testid": "board-check", dataset: { ok: String(line.ok) } },
    h("strong", {}, `${line.ok ? "✓" : "✕"} ${line.question}`),
    h("div", { class: line.ok ? "small" : "small alert-error" }, line.ok ? t("boards.ok", { n: line.ballots }) : t("boards.bad", { problem: line.problem })),
    line.ok ? counts(line) : null,
    line.ok ? h("div", { class: "muted small" }, t(line.key === "dealer" ? "boards.key_dealer" : "boards.key_ceremony")) : null,
    line.fingerprint ? h("div", { class: "muted small mono", "data-testid": "board-fingerprint" }, t("boards.fingerprint", { fp: line.fingerprint })) : null,
  );
}

export async function checkBoards(button, box) {
  button.disabled = true;
  try {
    const answer = await get(`/api/meetings/${button.dataset.meetingId}/ballot-boards/check`);
    const lines = answer.boards;
    const ok = lines.every((l) => l.ok);
    fill(
      box,
      lines.length
        ? [
            h("p", { class: `alert ${ok ? "alert-ok" : "alert-error"}`, role: "status", "data-testid": "boards-verdict", dataset: { ok: String(ok) } },
              ok ? t("boards.all_ok", { n: lines.length }) : t("boards.some_bad")),
            h("ul", { class: "board-checks" }, lines.map(row)),
          ]
        : h("p", { class: "muted", role: "status", "data-testid": "boards-verdict", dataset: { ok: "none" } }, t("boards.none")),
    );
    box.hidden = false;
  } catch (err) {
    showError(err);
  } finally {
    button.disabled = false;
  }
}

const button = document.getElementById("btn-check-boards");
if (button) button.addEventListener("click", () => checkBoards(button, document.getElementById("boards-result")));
