// Rendering of the live meeting page from the state (snapshot + applied events). No network here.
import { fill, h } from "./dom.js";
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
  fill($("meeting-meta"), bits);
}

export function renderCurrent(state) {
  const card = $("current-card");
  const body = $("current-body");
  const item = currentItem(state);
  const meetingState = state.meeting.state;
  const total = state.agenda.length;
  card.classList.toggle("idle", !item);
  if (item) {
    fill(
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
  fill(
    body,
    h("div", { class: "label" }, t("live.current")),
    h("div", { class: "title", "data-testid": "current-item", dataset: { itemId: "" } }, idle),
  );
}

/** onPick(item) is given only when the viewer may move the current item (and the meeting is started). */
export function renderAgenda(state, onPick) {
  const list = $("agenda-list");
  const items = state.agenda.map((item) => {
    const pickable = onPick && item.state !== "current";
    const li = h(
      "li",
      {
        class: `agenda-item${pickable ? " clickable" : ""}`,
        "data-testid": "agenda-item",
        dataset: { itemId: item.id, state: item.state },
        "aria-current": item.state === "current" ? "step" : null,
        role: pickable ? "button" : null,
        tabindex: pickable ? "0" : null,
        title: pickable ? `${t("console.pick")}: ${item.title}` : null,
      },
      h("span", { class: "num" }, item.position),
      h(
        "div",
        { class: "body" },
        h("div", { class: "t" }, item.title),
        h("div", { class: "p" }, [item.presenter, `${item.planned_minutes} ${t("live.minutes")}`].filter(Boolean).join(" · ")),
      ),
      h("span", { class: `badge badge-${item.state}` }, t(`item.${item.state}`)),
    );
    if (pickable) {
      li.addEventListener("click", () => onPick(item));
      li.addEventListener("keydown", (e) => {
        if (e.key === "Enter" || e.key === " ") {
          e.preventDefault();
          onPick(item);
        }
      });
    }
    return li;
  });
  fill(list, items);
}

export function renderQuorum(state) {
  const q = state.quorum ?? { total: 0, present: 0, required: 0, reached: false };
  const box = $("quorum");
  box.className = `quorum ${q.reached ? "reached" : "not-reached"}`;
  box.dataset.present = q.present;
  box.dataset.total = q.total;
  box.dataset.reached = String(q.reached);
  const share = q.total ? Math.min(100, Math.round((q.present / q.total) * 100)) : 0;
  fill(
    box,
    h("h2", {}, t("live.quorum")),
    h("div", { class: "count", "data-testid": "quorum-count" }, `${q.present}/${q.total}`),
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
    fill(slot);
    return;
  }
  if (PRESENT.has(row.attendance)) {
    fill(slot, h("div", { class: "badge badge-present_room check-in-done", "data-testid": "checked-in" }, `✓ ${t("live.checked_in")}`));
    return;
  }
  fill(
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
  fill($("participants"), groups);
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
