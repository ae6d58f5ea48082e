// "Kiểm tra chữ ký số": upload a signed PDF; ONE verdict for the file (valid / modified after signing / a block signed
// by the wrong person / not a file this system issued / untrusted signer / not fully signed / not signed), which
// document it is (as the file prints it), why it is not valid, then each signature: which block it fills and whether
// its signer is the one that block belongs to, who, when (organisation's clock), its content and its certificate.
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

function tagged(node, testid) {
  node.dataset.testid = testid;
  return node;
}

function documentLine(doc, issued) {
  let text = doc.kind_label;
  if (doc.number) text += ` ${t("verify.number", { number: doc.number })}`;
  if (doc.title) text += `: ${doc.title}`;
  text += ` (${doc.state_label})`;
  return tagged(line(t(doc.exact ? "verify.document" : "verify.document_base"), text, issued), "verify-document");
}

function blockLine(sig) {
  const block = sig.block;
  const text = block ? (block.expected_signer ? `${block.label} — ${block.expected_signer}` : block.label) : t("verify.block_unknown");
  return tagged(line(t("verify.block"), text), "verify-block");
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
  out.append(head);
  if (report.document) out.append(documentLine(report.document, report.issued));
  else if ((report.signatures ?? []).length) out.append(tagged(line(t("verify.document"), t("verify.not_issued"), false), "verify-document"));
  for (const reason of report.reasons ?? []) {
    const p = document.createElement("p");
    p.className = "verify-bad";
    p.dataset.testid = "verify-reason";
    p.textContent = reason;
    out.append(p);
  }
  out.append(line(t("verify.sha256"), report.sha256));
  for (const empty of report.unsigned_fields ?? []) {
    out.append(tagged(line(t("verify.unsigned"), empty.label, false), "verify-unsigned"));
  }
  for (const sig of report.signatures) {
    const box = document.createElement("div");
    box.className = "verify-sig";
    box.dataset.testid = "verify-signature";
    box.dataset.check = sig.signer_check;
    box.append(
      blockLine(sig),
      line(t("verify.signer"), sig.signer_name || t("verify.unreadable")),
      tagged(line(t("verify.right_signer"), sig.signer_summary, sig.by_system && sig.signer_matches === true), "verify-signer-check"),
      line(t("verify.issuer"), sig.issuer),
      line(t("verify.time"), formatDateTime(sig.signing_time, { weekday: false }) || t("verify.unknown")),
      line(t("verify.content"), t(sig.modified_after_signing ? "verify.content_modified" : "verify.content_intact"), !sig.modified_after_signing),
      line(t("verify.certificate"), t(sig.trusted ? "verify.cert_trusted" : "verify.cert_untrusted"), sig.trusted),
      line(t("verify.assessment"), sig.summary, sig.ok),
    );
    out.append(box);
  }
});
