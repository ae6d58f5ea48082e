// Conclusion (kết luận) editor for one agenda item: autosaves while typing (debounced) with the revision it
// started from; a 409 stale_revision brings the other editor's text in instead of overwriting it. Used by the
// minutes page and meant for the live console: mountConclusion(host, {meetingId, item, row}).
import { ApiError, api } from "./api.js";
import { t } from "./i18n.js";
import { toast } from "./toast.js";

const DEBOUNCE_MS = 700;

export function mountConclusion(host, { meetingId, item, row }) {
  const url = `/api/meetings/${meetingId}/agenda/${item.id}/conclusion`;
  let revision = row?.revision ?? 0;
  let saved = row?.text ?? "";
  let timer = null;
  let inflight = null;
  const box = document.createElement("div");
  box.className = "conclusion";
  box.dataset.testid = "conclusion";
  box.dataset.itemId = String(item.id);
  const label = document.createElement("label");
  label.textContent = `${item.position}. ${item.title}`;
  const area = document.createElement("textarea");
  area.value = saved;
  area.dataset.testid = "conclusion-text";
  label.append(area);
  const meta = document.createElement("div");
  meta.className = "meta";
  const state = document.createElement("span");
  state.dataset.testid = "conclusion-state";
  const publish = document.createElement("button");
  publish.type = "button";
  publish.className = "btn btn-small";
  publish.dataset.testid = "conclusion-publish";
  publish.textContent = t("conclusion.publish");
  meta.append(state, publish);
  box.append(label, meta);
  host.append(box);
  const show = (key) => { state.textContent = key ? t(key) : ""; };
  show(row?.published ? "conclusion.published" : saved ? "edit.saved" : "");

  async function save() {
    timer = null;
    const text = area.value;
    if (text === saved) return;
    show("conclusion.saving");
    try {
      inflight = api("PUT", url, { text, base_revision: revision });
      const out = await inflight;
      revision = out.revision;
      saved = out.text;
      box.classList.remove("conflict");
      show("edit.saved");
    } catch (err) {
      if (err instanceof ApiError && err.code === "stale_revision") {
        revision = err.details.revision;
        saved = err.details.text;
        area.value = saved;
        box.classList.add("conflict");
        show("conclusion.conflict");
        toast(err.message, "error");
      } else {
        show("minutes.not_saved");
        toast(err.message, "error");
      }
    } finally {
      inflight = null;
    }
  }

  area.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(save, DEBOUNCE_MS);
  });
  area.addEventListener("blur", () => { if (timer) { clearTimeout(timer); save(); } });
  publish.addEventListener("click", async () => {
    if (timer) { clearTimeout(timer); await save(); }
    if (inflight) await inflight.catch(() => {});
    try {
      await api("POST", `${url}/publish`, { published: true });
      show("conclusion.published");
    } catch (err) { toast(err.message, "error"); }
  });
  return {
    /** Another editor saved (event conclusion.saved): take their text unless we are typing. */
    async refresh(next) {
      if (timer || inflight || next.revision <= revision) return;
      revision = next.revision;
      saved = next.text;
      area.value = saved;
      show("conclusion.updated");
    },
    flush: () => (timer ? (clearTimeout(timer), save()) : inflight ?? Promise.resolve()),
  };
}
