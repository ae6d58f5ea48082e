// The admin's overrides of the working-day calendar: add a day off or a made-up working day, remove one.
import { api } from "./api.js";
import { toast } from "./toast.js";
import { onSubmit } from "./forms.js";

const form = document.getElementById("workdays-form");
onSubmit(form, async (event) => {
  event.preventDefault();
  const f = new FormData(form);
  try {
    await api("POST", "/api/workdays/overrides", { day: f.get("day"), kind: f.get("kind"), note: f.get("note") });
    window.location.reload();
  } catch (err) {
    toast(err.message, "error");
  }
});
document.getElementById("workdays-overrides")?.addEventListener("click", async (event) => {
  const id = event.target?.dataset?.remove;
  if (!id) return;
  try {
    await api("DELETE", `/api/workdays/overrides/${id}`);
    window.location.reload();
  } catch (err) {
    toast(err.message, "error");
  }
});
