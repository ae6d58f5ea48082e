// The live page's tabs (chương trình / tài liệu / biểu quyết / phát biểu / thành phần): WAI-ARIA tabs with
// arrow keys; the chosen tab is remembered per meeting for this browser tab (survives a reload).

const tabs = () => [...document.querySelectorAll("#tabs [role=tab]")];

export function initTabs(meetingId) {
  const key = `ecabinet.live.tab.${meetingId}`;

  function select(name, { focus = false } = {}) {
    const all = tabs();
    const chosen = all.find((tab) => tab.dataset.tab === name) ?? all[0];
    for (const tab of all) {
      const on = tab === chosen;
      tab.setAttribute("aria-selected", String(on));
      tab.tabIndex = on ? 0 : -1;
      document.getElementById(tab.getAttribute("aria-controls")).hidden = !on;
    }
    if (focus) chosen.focus();
    try {
      sessionStorage.setItem(key, chosen.dataset.tab);
    } catch {
      /* private mode: not remembered */
    }
  }

  for (const tab of tabs()) {
    tab.addEventListener("click", () => select(tab.dataset.tab));
    tab.addEventListener("keydown", (e) => {
      const all = tabs();
      const i = all.indexOf(tab);
      const to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: all.length - 1 }[e.key];
      if (to === undefined) return;
      e.preventDefault();
      select(all[(to + all.length) % all.length].dataset.tab, { focus: true });
    });
  }
  let saved = null;
  try {
    saved = sessionStorage.getItem(key);
  } catch {
    saved = null;
  }
  select(saved ?? "agenda");
  return { select };
}

/** The small counter/marker after a tab's label; `alert` makes it stand out (an open vote). */
export function setCount(name, text, { alert = false, label = null } = {}) {
  const node = document.getElementById(`count-${name}`);
  if (!node) return;
  node.textContent = text ?? "";
  node.hidden = !text;
  node.classList.toggle("alert", alert);
  if (label) node.setAttribute("aria-label", label);
  else node.removeAttribute("aria-label");
  node.closest("[role=tab]")?.classList.toggle("tab-alert", alert);
}
