// Every page: the logout button in the header.
import { post, showError } from "./api.js";

// Secret-ballot receipts (live-votes.js) stay on the tablet only for the user who voted: gone at logout.
function forgetReceipts() {
  for (const key of Object.keys(localStorage)) if (key.startsWith("ecabinet.receipt.")) localStorage.removeItem(key);
}

document.getElementById("logout")?.addEventListener("click", async (event) => {
  event.currentTarget.disabled = true;
  try {
    await post("/api/auth/logout");
  } catch (err) {
    if (err.status !== 401) {
      event.currentTarget.disabled = false;
      showError(err);
      return;
    }
  }
  forgetReceipts();
  window.location.assign("/login");
});
