// Secretariat preparation page: meeting details, then agenda, participants and documents, then publish.
import { clearErrors, patch, post, showError } from "./api.js";
import { confirmDialog } from "./confirm.js";
import { fromLocalInput, toLocalInput } from "./format.js";
import { t } from "./i18n.js";
import { toast } from "./toast.js";
import { initAgenda } from "./edit-agenda.js";
import { initParticipants } from "./edit-participants.js";
import { initDocuments } from "./edit-documents.js";
import { onSubmit } from "./forms.js";

const meeting = JSON.parse(document.getElementById("meeting-data")?.textContent || "null");
const form = document.getElementById("meeting-form");
const box = document.getElementById("form-error");
const saveButton = document.getElementById("btn-save");

form.scheduled_at.value = toLocalInput(meeting?.scheduled_at);
// A meeting under way keeps its time (the server refuses a change): shown, not editable, not sent.
if (meeting?.state === "started") form.scheduled_at.disabled = true;

function details() {
  const body = {
    title: form.title.value.trim(),
    kind: form.kind.value,
    mode: form.mode.value,
    place: form.place.value.trim(),
    description: form.description.value.trim(),
  };
  if (form.scheduled_at.disabled) return body;
  const when = fromLocalInput(form.scheduled_at.value);
  if (when) body.scheduled_at = when;
  else if (meeting?.scheduled_at && !form.scheduled_at.value) body.scheduled_at = null;
  return body;
}

onSubmit(form, async (event) => {
  event.preventDefault();
  clearErrors(form);
  box.hidden = true;
  saveButton.disabled = true;
  try {
    if (meeting) {
      Object.assign(meeting, await patch(`/api/meetings/${meeting.id}`, details()));
      toast(t("edit.saved"), "ok");
    } else {
      const created = await post("/api/meetings", details());
      window.location.assign(`/meetings/${created.id}/edit`);
      return;
    }
  } catch (err) {
    showError(err, { form, box });
  } finally {
    saveButton.disabled = false;
  }
});

function showState(state) {
  const badge = document.getElementById("meeting-state");
  if (badge) {
    badge.className = `badge badge-${state}`;
    badge.dataset.state = state;
    badge.textContent = t(`state.${state}`);
  }
  document.getElementById("btn-publish").hidden = state !== "draft";
}

if (meeting) {
  initAgenda(meeting.id);
  initParticipants(meeting.id);
  initDocuments(meeting.id);
  document.getElementById("btn-publish").addEventListener("click", async (event) => {
    const button = event.currentTarget;
    if (!(await confirmDialog(t("edit.confirm_publish"), { okLabel: t("edit.publish") }))) return;
    button.disabled = true;
    try {
      const updated = await post(`/api/meetings/${meeting.id}/publish`);
      Object.assign(meeting, updated);
      showState(updated.state);
      toast(t("edit.published"), "ok");
    } catch (err) {
      showError(err);
    } finally {
      button.disabled = false;
    }
  });
}
