// Rendering of the live meeting page from the state (snapshot + applied events). No network here.
import { h, morph } from "./dom.js";
import { formatDateTime, formatTime } from "./format.js";
import { t } from "./i18n.js";

const PRESENT = new Set(["present_room", "present_remote"]);
const GROUPS = ["chair", "member", "secretary", "guest"];
const $ = (id) => document.getElementById(id);

export function currentItem(state) {
  const agenda = state?.agenda ?? [];
  const id = state?.meeting?.current_item_id;
  return agenda.find((i) => i.id === id) ?? agenda.find((i) => i.state === "current") ?? null;
}

export function myRow(state, me) {
  return (state?.participants ?? []).find((p) => p.user_id === me?.user_id) ?? null;
}

export function renderHeader(meeting) {
  $("meeting-title").textContent = meeting.title;
  const state = $("meeting-state");
  state.className = `badge badge-${meeting.state}`;
  state.dataset.state = meeting.state;
  state.textContent = t(`state.${meeting.state}`);
  const bits = [];
  if (meeting.scheduled_at) bits.push(h("span", {}, `${t("meeting.time")}: ${formatDateTime(meeting.scheduled_at)}`));
  if (meeting.place) bits.push(h("span", {}, `${t("meeting.place")}: ${meeting.place}`));
  bits.push(h("span", {}, `${t(`kind.${meeting.kind}`)} · ${t(`mode.${meeting.mode}`)}`));
  if (meeting.state === "started" && meeting.started_at) {
    bits.push(h("span", {}, t("live.started_at", { time: formatTime(meeting.started_at) })));
  }
  morph($("meeting-meta"), bits);
}

export function renderCurrent(state) {
  const card = $("current-card");
  const body = $("current-body");
  const item = currentItem(state);
  const meetingState = state.meeting.state;
  const total = state.agenda.length;
  card.classList.toggle("idle", !item);
  if (item) {
    morph(
      body,
      h("div", { class: "label" }, t("live.current")),
      h("div", { class: "title", "data-testid": "current-item", dataset: { itemId: item.id } }, item.title),
      h(
        "div",
        { class: "sub" },
        h("span", {}, t("live.item_of", { n: item.position, total })),
        item.presenter ? h("span", {}, `${t("live.presenter")}: ${item.presenter}`) : null,
        h("span", {}, `${item.planned_minutes} ${t("live.minutes")}`),
      ),
    );
    return;
  }
  const idle =
    meetingState === "ended" ? t("live.ended") : meetingState === "started" ? t("live.no_current") : t("live.not_started");
  morph(
    body,
    h("div", { class: "label" }, t("live.current")),
    h("div", { class: "title", "data-testid": "current-item", dataset: { itemId: "" } }, idle),
  );
}

// The agenda list is updated in place (rows keyed by item id, one delegated listener), so a live event never
// takes the keyboard focus or a screen reader's place away from the row the user is on.
let agendaNow = [];
let agendaPick = null;

function setAttr(node, name, value) {
  if (value === null || value === undefined) node.removeAttribute(name);
  else if (node.getAttribute(name) !== String(value)) node.setAttribute(name, String(value));
}

function setText(node, text) {
  if (node.textContent !== String(text)) node.textContent = String(text);
}

function pickFrom(target) {
  const li = target.closest("li.agenda-item.clickable");
  const item = li && agendaNow.find((i) => String(i.id) === li.dataset.itemId);
  if (item && agendaPick) agendaPick(item);
  return !!item;
}

function wireAgenda(list) {
  list.addEventListener("click", (e) => pickFrom(e.target));
  list.addEventListener("keydown", (e) => {
    if ((e.key === "Enter" || e.key === " ") && e.target.matches("li.agenda-item.clickable") && pickFrom(e.target)) e.preventDefault();
  });
  list.dataset.wired = "true";
}

function agendaRow() {
  return h(
    "li",
    { class: "agenda-item", "data-testid": "agenda-item" },
    h("span", { class: "num" }),
    h("div", { class: "body" }, h("div", { class: "t" }), h("div", { class: "p" })),
    h("span", { class: "badge" }),
  );
}

/** onPick(item) is given only when the viewer may move the current item (and the meeting is started). */
export function renderAgenda(state, onPick) {
  const list = $("agenda-list");
  if (!list.dataset.wired) wireAgenda(list);
  agendaNow = state.agenda;
  agendaPick = onPick;
  const rows = new Map([...list.children].map((li) => [li.dataset.itemId, li]));
  state.agenda.forEach((item, index) => {
    const li = rows.get(String(item.id)) ?? agendaRow();
    rows.delete(String(item.id));
    const pickable = !!onPick && item.state !== "current";
    li.dataset.itemId = item.id;
    li.dataset.state = item.state;
    li.classList.toggle("clickable", pickable);
    setAttr(li, "aria-current", item.state === "current" ? "step" : null);
    setAttr(li, "role", pickable ? "button" : null);
    setAttr(li, "tabindex", pickable ? "0" : null);
    setAttr(li, "title", pickable ? `${t("console.pick")}: ${item.title}` : null);
    setText(li.querySelector(".num"), item.position);
    setText(li.querySelector(".t"), item.title);
    setText(li.querySelector(".p"), [item.presenter, `${item.planned_minutes} ${t("live.minutes")}`].filter(Boolean).join(" · "));
    const badge = li.querySelector(".badge");
    setAttr(badge, "class", `badge badge-${item.state}`);
    setText(badge, t(`item.${item.state}`));
    if (list.children[index] !== li) list.insertBefore(li, list.children[index] ?? null);
  });
  for (const stale of rows.values()) stale.remove();
}

export function renderQuorum(state) {
  const q = state.quorum ?? { total: 0, present: 0, required: 0, reached: false };
  const box = $("quorum");
  box.className = `quorum ${q.reached ? "reached" : "not-reached"}`;
  box.dataset.present = q.present;
  box.dataset.total = q.total;
  box.dataset.reached = String(q.reached);
  const share = q.total ? Math.min(100, Math.round((q.present / q.total) * 100)) : 0;
  morph(
    box,
    h(
      "div",
      { class: "quorum-line" },
      h("h2", {}, t("live.quorum")),
      h("div", { class: "count", "data-testid": "quorum-count" }, `${q.present}/${q.total}`),
    ),
    h(
      "div",
      { class: "bar", "aria-hidden": "true" },
      h("span", { style: { width: `${share}%` } }),
      q.total ? h("i", { style: { left: `${Math.min(100, (q.required / q.total) * 100)}%` } }) : null,
    ),
    h(
      "div",
      { class: "status", role: "status" },
      q.reached ? `✓ ${t("live.quorum_ok")}` : t("live.quorum_no"),
    ),
    h("div", { class: "muted small" }, t("live.quorum_rule", { required: q.required, total: q.total })),
  );
}

export function renderCheckIn(state, me, onCheckIn) {
  const slot = $("check-in-slot");
  const row = myRow(state, me);
  const open = ["published", "started"].includes(state.meeting.state);
  slot.hidden = !row || !open;
  if (slot.hidden) {
    morph(slot);
    return;
  }
  if (PRESENT.has(row.attendance)) {
    morph(slot, h("div", { class: "badge badge-present_room check-in-done", "data-testid": "checked-in" }, `✓ ${t("live.checked_in")}`));
    return;
  }
  morph(
    slot,
    h("button", { type: "button", class: "btn btn-success btn-lg check-in", "data-testid": "check-in", onclick: onCheckIn }, t("live.check_in")),
  );
}

function attendanceNote(p) {
  if (p.attendance === "deputy" && p.deputy_name) return t("live.deputy_for", { name: p.deputy_name });
  if (p.attendance === "absent" && p.absence_reason) return t("live.reason", { reason: p.absence_reason });
  return "";
}

/** actionsFor(p) may give extra controls for a row (the chair's remote controls). */
export function renderParticipants(state, me, online, actionsFor = null) {
  const groups = GROUPS.map((role) => {
    const people = state.participants.filter((p) => p.role === role);
    if (!people.length) return null;
    return h(
      "section",
      { class: "people-group" },
      h("h3", {}, `${t(`live.group.${role}`)} (${people.length})`),
      h(
        "ul",
        { class: "people" },
        people.map((p) => {
          const on = online.has(p.user_id);
          const note = attendanceNote(p);
          return h(
            "li",
            {
              class: `attendee${p.user_id === me?.user_id ? " me" : ""}`,
              "data-testid": "attendee",
              dataset: { userId: p.user_id, attendance: p.attendance, online: String(on) },
            },
            h("span", { class: `dot${on ? " on" : ""}`, title: on ? t("live.online") : "", "data-testid": "presence-dot" }),
            h(
              "div",
              { class: "who-name" },
              h("div", { class: "n", "data-you": t("live.you") }, p.full_name),
              h("div", { class: "d" }, [p.title, note].filter(Boolean).join(" · ")),
            ),
            h("span", { class: `badge badge-${p.attendance}` }, t(`att.${p.attendance}`)),
            actionsFor ? actionsFor(p) : null,
          );
        }),
      ),
    );
  });
  morph($("participants"), groups);
  $("online-count").textContent = t("live.online_count", { n: online.size });
  const present = state.participants.filter((p) => PRESENT.has(p.attendance) || p.attendance === "deputy").length;
  $("count-people").textContent = `${present}/${state.participants.length}`;
}

/** The chair's / secretariat's console: which buttons are usable depends on the meeting state. */
export function renderConsole(state, me) {
  const panel = $("console");
  if (!me?.can_conduct) {
    panel.hidden = true;
    return;
  }
  panel.hidden = false;
  const s = state.meeting.state;
  const agenda = state.agenda;
  const current = currentItem(state);
  const index = current ? agenda.indexOf(current) : -1;
  $("btn-start").hidden = s !== "published";
  $("console-run").hidden = s !== "started";
  $("btn-prev").disabled = s !== "started" || index <= 0;
  $("btn-next").disabled = s !== "started" || index >= agenda.length - 1;
  $("btn-end").disabled = s !== "started";
  $("console-ended").hidden = s !== "ended";
}
