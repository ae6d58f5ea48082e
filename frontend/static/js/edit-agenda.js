// Agenda editor: list, add, delete, reorder (drag the handle, or the Up/Down buttons).
import { clearErrors, del, get, post, showError } from "./api.js";
import { confirmDialog } from "./confirm.js";
import { fill, h } from "./dom.js";
import { t } from "./i18n.js";
import { makeSortable, moved } from "./sortable.js";
import { toast } from "./toast.js";
import { onSubmit } from "./forms.js";

export function initAgenda(meetingId) {
  const base = `/api/meetings/${meetingId}/agenda`;
  const list = document.getElementById("agenda-list");
  const empty = document.getElementById("agenda-empty");
  const form = document.getElementById("item-form");
  let items = [];

  function render() {
    empty.hidden = items.length > 0;
    fill(
      list,
      items.map((item, index) =>
        h(
          "li",
          { class: "sort-row", "data-testid": "edit-item", dataset: { itemId: item.id } },
          h("span", { class: "handle", title: t("edit.drag"), "aria-hidden": "true" }, "⠿"),
          h("span", { class: "num" }, item.position),
          h(
            "div",
            { class: "body" },
            h("div", { class: "t", "data-testid": "edit-item-title" }, item.title),
            h("div", { class: "p" }, [item.presenter, `${item.planned_minutes} ${t("live.minutes")}`].filter(Boolean).join(" · ")),
          ),
          h(
            "div",
            { class: "tools" },
            h("button", {
              type: "button", class: "btn btn-sm btn-icon", "aria-label": `${t("edit.up")}: ${item.title}`, title: t("edit.up"),
              "data-testid": "item-up", disabled: index === 0, onclick: () => step(index, -1),
            }, "▲"),
            h("button", {
              type: "button", class: "btn btn-sm btn-icon", "aria-label": `${t("edit.down")}: ${item.title}`, title: t("edit.down"),
              "data-testid": "item-down", disabled: index === items.length - 1, onclick: () => step(index, 1),
            }, "▼"),
            h("button", {
              type: "button", class: "btn btn-sm btn-danger", "data-testid": "item-delete", onclick: () => remove(item),
            }, t("edit.delete")),
          ),
        ),
      ),
    );
  }

  async function load() {
    try {
      items = await get(base);
      render();
    } catch (err) {
      showError(err);
    }
  }

  async function reorder(ids) {
    try {
      const result = await post(`${base}/reorder`, { item_ids: ids.map(Number) });
      items = Array.isArray(result) ? result : await get(base);
      render();
      toast(t("edit.reordered"), "ok", 1500);
    } catch (err) {
      showError(err);
      await load(); // show the order the server has
    }
  }

  function step(index, delta) {
    const ids = moved(items.map((i) => i.id), index, delta);
    if (ids) reorder(ids);
  }

  async function remove(item) {
    if (!(await confirmDialog(`${t("edit.confirm_delete")}\n«${item.title}»`, { okLabel: t("edit.delete"), danger: true }))) return;
    try {
      await del(`${base}/${item.id}`);
      await load();
    } catch (err) {
      showError(err);
    }
  }

  onSubmit(form, async (event) => {
    event.preventDefault();
    clearErrors(form);
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      await post(base, {
        title: form.title.value.trim(),
        presenter: form.presenter.value.trim(),
        planned_minutes: Number(form.planned_minutes.value) || 15,
      });
      form.reset();
      form.title.focus();
      await load();
    } catch (err) {
      showError(err, { form });
    } finally {
      button.disabled = false;
    }
  });

  makeSortable(list, { id: (li) => Number(li.dataset.itemId), onDrop: (ids) => reorder(ids) });
  load();
}
