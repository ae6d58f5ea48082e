// Participants editor: invite from the directory, invite all cabinet members, change role/attendance, remove.
import { ApiError, clearErrors, del, get, patch, post, showError } from "./api.js";
import { fill, h } from "./dom.js";
import { t } from "./i18n.js";
import { toast } from "./toast.js";
import { onSubmit } from "./forms.js";

const ROLES = ["chair", "member", "secretary", "guest"];
const ATTENDANCE = ["unknown", "present_room", "present_remote", "absent", "deputy"];

export function initParticipants(meetingId) {
  const base = `/api/meetings/${meetingId}/participants`;
  const form = document.getElementById("invite-form");
  const userSelect = document.getElementById("p-user");
  const body = document.getElementById("people-body");
  const table = document.getElementById("people-table");
  const empty = document.getElementById("people-empty");
  const inviteAll = document.getElementById("btn-invite-all");
  let directory = [];
  let people = [];

  const invited = () => new Set(people.map((p) => p.user_id));

  function renderChoices() {
    const taken = invited();
    const free = directory.filter((u) => !taken.has(u.id));
    fill(
      userSelect,
      h("option", { value: "" }, `— ${t("edit.choose_user")} —`),
      free.map((u) => h("option", { value: u.id, dataset: { role: u.role } }, [u.full_name, u.title].filter(Boolean).join(" — "))),
    );
  }

  function select(name, values, current, label, prefix, onchange) {
    return h(
      "select",
      { "aria-label": label, "data-testid": name, onchange },
      values.map((v) => h("option", { value: v, selected: v === current }, t(`${prefix}.${v}`))),
    );
  }

  function row(p) {
    const extra = h("div", { class: "att-extra" });
    const attendance = select("person-attendance", ATTENDANCE, p.attendance, t("edit.attendance"), "att", (e) =>
      changeAttendance(p, e.currentTarget.value, extra),
    );
    const note = p.attendance === "absent" ? p.absence_reason : p.attendance === "deputy" ? p.deputy_name : "";
    return h(
      "tr",
      { "data-testid": "person", dataset: { userId: p.user_id, role: p.role } },
      h("td", {}, h("div", { class: "n" }, h("strong", {}, p.full_name)), h("div", { class: "muted small" }, p.title)),
      h("td", {}, select("person-role", ROLES, p.role, t("edit.role"), "role", (e) => update(p, { role: e.currentTarget.value }))),
      h("td", {}, attendance, note ? h("div", { class: "muted small" }, note) : null, extra),
      h("td", {}, h("button", { type: "button", class: "btn btn-sm btn-danger", "data-testid": "person-remove", onclick: () => remove(p) }, t("edit.remove"))),
    );
  }

  function render() {
    empty.hidden = people.length > 0;
    table.hidden = people.length === 0;
    fill(body, people.map(row));
    renderChoices();
  }

  async function load() {
    try {
      people = await get(base);
      render();
    } catch (err) {
      showError(err);
    }
  }

  async function update(p, changes) {
    try {
      await patch(`${base}/${p.user_id}`, changes);
      await load();
      toast(t("edit.saved"), "ok", 1500);
    } catch (err) {
      showError(err);
      await load();
    }
  }

  /** Absent needs a reason and deputy a name: ask inline before sending. */
  function changeAttendance(p, value, extra) {
    if (value !== "absent" && value !== "deputy") {
      fill(extra);
      update(p, { attendance: value });
      return;
    }
    const key = value === "absent" ? "absence_reason" : "deputy_name";
    const input = h("input", { class: "input", placeholder: t(`edit.${key}`), "aria-label": t(`edit.${key}`), "data-testid": "person-note" });
    const save = h("button", { type: "button", class: "btn btn-sm btn-primary" }, t("edit.save"));
    save.addEventListener("click", () => update(p, { attendance: value, [key]: input.value.trim() }));
    fill(extra, h("div", { class: "form-actions", style: { marginTop: "6px" } }, input, save));
    input.focus();
  }

  async function remove(p) {
    try {
      await del(`${base}/${p.user_id}`);
      await load();
    } catch (err) {
      showError(err);
    }
  }

  onSubmit(form, async (event) => {
    event.preventDefault();
    clearErrors(form);
    if (!userSelect.value) {
      showError(new ApiError(422, "validation_error", t("edit.choose_user"), [{ field: "user_id", message: t("common.required") }]), { form });
      return;
    }
    try {
      await post(base, { user_id: Number(userSelect.value), role: form.role.value });
      form.role.value = "member";
      await load();
    } catch (err) {
      showError(err, { form });
    }
  });

  // A guest account may only be invited as a guest: preselect that role.
  userSelect.addEventListener("change", () => {
    const role = userSelect.selectedOptions[0]?.dataset.role;
    if (role === "guest") form.role.value = "guest";
  });

  inviteAll.addEventListener("click", async () => {
    const taken = invited();
    const todo = directory.filter((u) => u.role === "member" && !taken.has(u.id));
    if (!todo.length) {
      toast(t("edit.nobody_left"));
      return;
    }
    inviteAll.disabled = true;
    let done = 0;
    try {
      for (const u of todo) {
        await post(base, { user_id: u.id, role: "member" });
        done += 1;
      }
      toast(t("edit.invited_all", { n: done }), "ok");
    } catch (err) {
      showError(err);
    } finally {
      inviteAll.disabled = false;
      await load();
    }
  });

  (async () => {
    try {
      directory = await get("/api/users");
    } catch (err) {
      showError(err);
    }
    await load();
  })();
}
