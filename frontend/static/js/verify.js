// "Kiểm tra chữ ký số": upload a signed PDF; ONE verdict for the file (valid / modified after signing / untrusted
// signer / not signed), then each signature: who, when (organisation's clock), its content and its certificate.
import { formatDateTime } from "./format.js";
import { t } from "./i18n.js";
import { onSubmit } from "./forms.js";

const form = document.getElementById("verify-form");
const out = document.getElementById("verify-result");

function line(label, value, good) {
  const p = document.createElement("div");
  const b = document.createElement("strong");
  b.textContent = `${label}: `;
  const span = document.createElement("span");
  span.textContent = value;
  if (good !== undefined) span.className = good ? "verify-ok" : "verify-bad";
  p.append(b, span);
  return p;
}


onSubmit(form, async (e) => {
  e.preventDefault();
  const file = document.getElementById("verify-file").files[0];
  if (!file) return;
  const body = new FormData();
  body.append("file", file);
  out.hidden = false;
  out.textContent = t("verify.checking");
  let report;
  try {
    const response = await fetch("/api/minutes/verify", { method: "POST", body, credentials: "same-origin" });
    report = await response.json();
    if (!response.ok) throw new Error(report?.error?.message ?? `${t("common.error")} ${response.status}`);
  } catch (err) {
    out.textContent = err.message;
    out.dataset.ok = "false";
    return;
  }
  out.replaceChildren();
  out.dataset.ok = String(report.ok);
  out.dataset.verdict = report.verdict;
  const head = document.createElement("h2");
  head.className = report.verdict === "valid" ? "verify-ok" : "verify-bad";  // "incomplete" too: not the minutes yet
  head.dataset.testid = "verify-verdict";
  head.textContent = t(`verify.verdict.${report.verdict}`);
  out.append(head, line(t("verify.sha256"), report.sha256));
  for (const empty of report.unsigned_fields ?? []) {
    const missing = line(t("verify.unsigned"), empty.label, false);
    missing.dataset.testid = "verify-unsigned";
    out.append(missing);
  }
  for (const sig of report.signatures) {
    const box = document.createElement("div");
    box.className = "verify-sig";
    box.dataset.testid = "verify-signature";
    box.append(
      line(t("verify.signer"), sig.signer_name || t("verify.unreadable")),
      line(t("verify.issuer"), sig.issuer),
      line(t("verify.time"), formatDateTime(sig.signing_time, { weekday: false }) || t("verify.unknown")),
      line(t("verify.content"), t(sig.modified_after_signing ? "verify.content_modified" : "verify.content_intact"), !sig.modified_after_signing),
      line(t("verify.certificate"), t(sig.trusted ? "verify.cert_trusted" : "verify.cert_untrusted"), sig.trusted),
      line(t("verify.assessment"), sig.summary, sig.ok),
    );
    out.append(box);
  }
});
