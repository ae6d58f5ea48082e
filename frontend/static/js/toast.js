// Short messages at the bottom of the screen (errors stay a little longer).
export function toast(message, kind = "info", ms) {
  const host = document.getElementById("toasts");
  if (!host || !message) return;
  const node = document.createElement("div");
  node.className = `toast toast-${kind}`;
  node.setAttribute("role", kind === "error" ? "alert" : "status");
  node.dataset.testid = "toast";
  node.textContent = message;
  host.append(node);
  setTimeout(() => node.remove(), ms ?? (kind === "error" ? 6000 : 3000));
}
