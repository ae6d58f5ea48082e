// Every page: the logout button in the header.
import { post, showError } from "./api.js";

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
  window.location.assign("/login");
});
