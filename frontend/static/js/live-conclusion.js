// Conclusions (kết luận) on the live page: the published conclusion of the current item for everyone (slice
// "conclusions"), and for the chair/secretariat the minutes engineer's editor (conclusion-editor.js) for the
// current item inside the console, remounted when the item changes and refreshed on conclusion.saved.
import { get } from "./api.js";
import { mountConclusion } from "./conclusion-editor.js";
import { fill, h } from "./dom.js";
import { t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
let ctx = null;
let mountedFor = null; // agenda item id the editor is mounted for
let editor = null;
let generation = 0;

export function init(context) {
  ctx = context;
}

async function rowFor(itemId) {
  const rows = await get(`/api/meetings/${ctx.meetingId}/conclusions`);
  return rows.find((r) => r.agenda_item_id === itemId) ?? null;
}

async function mount(item) {
  const slot = $("conclusion-slot");
  const mine = ++generation;
  mountedFor = item.id;
  editor = null;
  fill(slot, h("h3", { class: "sub-head" }, t("conclusion.edit")));
  slot.hidden = false;
  try {
    const row = await rowFor(item.id);
    if (mine !== generation) return;
    editor = mountConclusion(slot, { meetingId: ctx.meetingId, item, row });
  } catch {
    if (mine === generation) slot.hidden = true; // e.g. the minutes are final: no more edits here
  }
}

function unmount() {
  generation++;
  editor?.flush?.();
  editor = null;
  mountedFor = null;
  fill($("conclusion-slot"));
  $("conclusion-slot").hidden = true;
}

export function onEvents(info, state) {
  const itemId = state?.meeting?.current_item_id;
  for (const event of info.events ?? []) {
    if (event.type === "conclusion.saved" && editor && event.data?.agenda_item_id === itemId && itemId === mountedFor) {
      rowFor(itemId).then((row) => row && editor?.refresh(row)).catch(() => {});
    }
  }
}

export function render(state) {
  const itemId = state.meeting.current_item_id;
  const published = (state.conclusions ?? []).find((c) => c.agenda_item_id === itemId);
  const view = $("conclusion-view");
  view.hidden = !published;
  fill(view, published ? [h("div", { class: "label" }, t("conclusion.title")), h("div", { class: "text", "data-testid": "conclusion-published" }, published.text)] : []);

  const staff = ctx.me?.can_conduct && state.meeting.state === "started" && itemId;
  if (!staff) {
    if (mountedFor !== null) unmount();
    return;
  }
  if (mountedFor !== itemId) {
    editor?.flush?.();
    mount(state.agenda.find((i) => i.id === itemId));
  }
}
