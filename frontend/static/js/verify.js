// "Kiểm tra chữ ký số": upload a signed PDF, show who signed, when, whether it changed since, whether trusted.
import { formatDateTime } from "./format.js";
import { t } from "./i18n.js";

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

const yesNo = (flag) => t(flag ? "verify.yes" : "verify.no");

form.addEventListener("submit", async (e) => {
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
  const head = document.createElement("h2");
  head.className = report.ok ? "verify-ok" : "verify-bad";
  head.textContent = t(report.ok ? "verify.valid" : "verify.invalid");
  out.append(head, line(t("conclusion.title"), report.summary, report.ok), line(t("verify.sha256"), report.sha256));
  for (const sig of report.signatures) {
    const box = document.createElement("div");
    box.className = "verify-sig";
    box.dataset.testid = "verify-signature";
    box.append(
      line(t("verify.signer"), sig.signer_name || t("verify.unreadable")),
      line(t("verify.issuer"), sig.issuer),
      line(t("verify.time"), formatDateTime(sig.signing_time, { weekday: false }) || t("verify.unknown")),
      line(t("verify.intact"), yesNo(sig.intact && sig.valid), sig.intact && sig.valid),
      line(t("verify.modified"), yesNo(sig.modified_after_signing), !sig.modified_after_signing),
      line(t("verify.trusted"), yesNo(sig.trusted), sig.trusted),
      line(t("verify.assessment"), sig.summary, sig.ok),
    );
    out.append(box);
  }
});
