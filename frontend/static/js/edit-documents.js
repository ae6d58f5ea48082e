// Documents editor on the preparation page: the meeting's documents grouped by agenda item (open, new
// version, delete), and the upload form with a progress bar. Uploads go through XMLHttpRequest because
// fetch() reports no upload progress; the server's clear refusals (not a PDF, encrypted, too large, …)
// are shown in the form and nothing is listed.
import { ApiError, csrfToken, del, errorFrom, get, showError } from "./api.js";
import { confirmDialog } from "./confirm.js";
import { fill, h } from "./dom.js";
import { t } from "./i18n.js";
import { toast } from "./toast.js";
import { onSubmit } from "./forms.js";

const $ = (id) => document.getElementById(id);

function send(url, body, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.setRequestHeader("X-CSRF-Token", csrfToken());
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(Math.round((100 * e.loaded) / e.total));
    xhr.upload.onload = () => onProgress(100);
    xhr.onerror = () => reject(new ApiError(0, "network", t("common.network")));
    xhr.onload = () => {
      let payload = null;
      try {
        payload = JSON.parse(xhr.responseText);
      } catch {
        payload = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) return resolve(payload);
      reject(errorFrom(xhr.status, payload));
    };
    xhr.send(body);
  });
}

export function initDocuments(meetingId) {
  const list = $("doc-admin-list");
  const empty = $("docs-empty");
  const form = $("upload-form");
  const box = $("upload-error");
  const itemSelect = $("u-item");
  const allowed = $("u-allowed");
  const progressRow = $("upload-progress-row");
  const progress = $("upload-progress");
  const percent = $("upload-percent");
  let docs = [];
  let items = [];
  let people = [];
  let replacing = null; // the document a new version is for

  function itemName(id) {
    const item = items.find((i) => i.id === id);
    return item ? `${item.position}. ${item.title}` : t("docs.general");
  }

  function row(d) {
    return h(
      "li",
      { class: "doc-admin", "data-testid": "doc-admin", dataset: { documentId: d.id } },
      h(
        "div",
        { class: "body" },
        h("div", { class: "t", "data-testid": "doc-admin-title" }, d.title),
        h(
          "div",
          { class: "muted small" },
          [t("docs.version", { n: d.version }), t("docs.pages", { n: d.page_count })].join(" · "),
          d.restricted ? h("span", { class: "badge badge-restricted", "data-testid": "doc-admin-restricted" }, t("docs.restricted")) : null,
        ),
      ),
      h(
        "div",
        { class: "tools" },
        h("a", { class: "btn btn-sm", href: `/meetings/${meetingId}/documents/${d.id}`, "data-testid": "doc-admin-open" }, t("edit.doc_open")),
        h("button", { type: "button", class: "btn btn-sm", "data-testid": "doc-admin-version", onclick: () => newVersion(d) }, t("edit.doc_new_version")),
        h("button", { type: "button", class: "btn btn-sm btn-danger", "data-testid": "doc-admin-delete", onclick: () => remove(d) }, t("edit.delete")),
      ),
    );
  }

  function render() {
    empty.hidden = docs.length > 0;
    const groups = [null, ...items.map((i) => i.id)];
    fill(
      list,
      groups.map((itemId) => {
        const mine = docs.filter((d) => (d.agenda_item_id ?? null) === itemId);
        if (!mine.length) return null;
        return h("li", { class: "doc-group" }, h("div", { class: "doc-group-title" }, itemName(itemId)), h("ul", {}, mine.map(row)));
      }),
    );
    const chosen = itemSelect.value;
    fill(
      itemSelect,
      h("option", { value: "" }, t("docs.general")),
      items.map((i) => h("option", { value: i.id, selected: String(i.id) === chosen }, `${i.position}. ${i.title}`)),
    );
    fill(
      allowed.querySelector(".allowed-list"),
      people.map((p) =>
        h("label", { class: "check" }, h("input", { type: "checkbox", name: "allowed_user_ids", value: p.user_id, "data-testid": "upload-allowed-user" }), ` ${p.full_name}`),
      ),
    );
  }

  async function load() {
    try {
      [docs, items, people] = await Promise.all([
        get(`/api/meetings/${meetingId}/documents`),
        get(`/api/meetings/${meetingId}/agenda`),
        get(`/api/meetings/${meetingId}/participants`),
      ]);
      render();
    } catch (err) {
      showError(err);
    }
  }

  function setReplacing(doc) {
    replacing = doc;
    const note = $("upload-replacing");
    note.hidden = !doc;
    note.querySelector("span").textContent = doc ? t("edit.upload_version", { title: doc.title }) : "";
    $("upload-title").textContent = doc ? t("edit.upload_version", { title: doc.title }) : t("edit.upload");
    for (const field of form.querySelectorAll("[data-new-only]")) field.hidden = !!doc;
  }

  function newVersion(doc) {
    setReplacing(doc);
    form.scrollIntoView({ behavior: "smooth", block: "start" });
    $("u-file").focus();
  }

  async function remove(doc) {
    if (!(await confirmDialog(t("edit.doc_confirm_delete", { title: doc.title }), { okLabel: t("edit.delete"), danger: true }))) return;
    try {
      await del(`/api/documents/${doc.id}`);
      toast(t("edit.doc_deleted"), "ok");
      if (replacing?.id === doc.id) setReplacing(null);
      await load();
    } catch (err) {
      showError(err);
    }
  }

  function body() {
    const data = new FormData();
    const file = form.file.files[0];
    data.append("file", file);
    if (replacing) {
      data.append("title", replacing.title);
      data.append("replaces_document_id", String(replacing.id));
      return data;
    }
    data.append("title", form.title.value.trim() || file.name.replace(/\.[^.]+$/, ""));
    if (itemSelect.value) data.append("agenda_item_id", itemSelect.value);
    if (form.position.value !== "") data.append("position", form.position.value);
    data.append("share_with_guests", form.share_with_guests.checked ? "true" : "false");
    data.append("restricted", form.restricted.checked ? "true" : "false");
    if (form.restricted.checked) {
      for (const box of allowed.querySelectorAll("input:checked")) data.append("allowed_user_ids", box.value);
    }
    return data;
  }

  function showProgress(value) {
    progressRow.hidden = false;
    progress.value = value;
    percent.textContent = value < 100 ? t("edit.uploading", { percent: value }) : t("edit.checking");
  }

  form.restricted.addEventListener("change", () => (allowed.hidden = !form.restricted.checked));
  $("btn-upload-cancel-version").addEventListener("click", () => setReplacing(null));
  const upload = async (event) => {
    event.preventDefault();
    box.hidden = true;
    if (!form.file.files.length) {
      showError(new ApiError(422, "validation", t("edit.doc_choose_file"), [{ field: "file", message: t("common.required") }]), { form, box });
      return;
    }
    const button = $("btn-upload");
    button.disabled = true;
    showProgress(0);
    try {
      const created = await send(`/api/meetings/${meetingId}/documents`, body(), showProgress);
      toast(t("edit.uploaded", { title: created.title, pages: created.page_count }), "ok");
      const removed = Object.keys(created.removed_content || {});
      if (removed.length) toast(t("docs.disarmed", { kinds: removed.join(", ") }), "info", 10000);
      form.reset();
      allowed.hidden = true;
      setReplacing(null);
      await load();
    } catch (err) {
      showError(err, { form, box });
    } finally {
      button.disabled = false;
      progressRow.hidden = true;
    }
  };
  load().then(() => onSubmit(form, upload)); // the item and reader lists first: they are part of what is sent
}
