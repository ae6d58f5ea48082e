// "Kiểm tra chữ ký số": upload a signed PDF, show who signed, when, whether it changed since, whether trusted.
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

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  const file = document.getElementById("verify-file").files[0];
  if (!file) return;
  const body = new FormData();
  body.append("file", file);
  out.hidden = false;
  out.textContent = "Đang kiểm tra…";
  let report;
  try {
    const response = await fetch("/api/minutes/verify", { method: "POST", body, credentials: "same-origin" });
    report = await response.json();
    if (!response.ok) throw new Error(report?.error?.message ?? `Lỗi ${response.status}`);
  } catch (err) {
    out.textContent = err.message;
    out.dataset.ok = "false";
    return;
  }
  out.replaceChildren();
  out.dataset.ok = String(report.ok);
  const head = document.createElement("h2");
  head.className = report.ok ? "verify-ok" : "verify-bad";
  head.textContent = report.ok ? "Chữ ký hợp lệ" : "Không hợp lệ";
  out.append(head, line("Kết luận", report.summary, report.ok), line("Mã băm SHA-256 của tệp", report.sha256));
  for (const sig of report.signatures) {
    const box = document.createElement("div");
    box.className = "verify-sig";
    box.dataset.testid = "verify-signature";
    box.append(
      line("Người ký", sig.signer_name || "(không đọc được)"),
      line("Cơ quan cấp chứng thư", sig.issuer),
      line("Thời điểm ký", sig.signing_time ? new Date(sig.signing_time).toLocaleString("vi-VN") : "không rõ"),
      line("Nội dung được ký còn nguyên vẹn", sig.intact && sig.valid ? "Có" : "Không", sig.intact && sig.valid),
      line("Tài liệu bị thay đổi sau khi ký", sig.modified_after_signing ? "Có" : "Không", !sig.modified_after_signing),
      line("Chứng thư thuộc cơ quan chứng thực tin cậy", sig.trusted ? "Có" : "Không", sig.trusted),
      line("Đánh giá", sig.summary, sig.ok),
    );
    out.append(box);
  }
});
