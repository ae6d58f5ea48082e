// Fitting the room display's cards into their grid cells: a card whose content is taller than its cell first
// scales its type down (the card's --s factor, used by every font size in display.css), then clamps its
// longest texts ([data-clamp]) line by line with an ellipsis; the speaker queue drops entries for "+N".
// Run after each render and on resize; it reads layout, so it is synchronous and bounded.

const MIN_SCALE = 0.7;
const STEP = 0.05;

const overflows = (el) => el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1;
const shown = (el) => el.offsetParent !== null && el.getClientRects().length > 0;

function unclamp(box) {
  box.classList.remove("clamped");
  box.style.removeProperty("-webkit-line-clamp");
}

function lines(box) {
  const lh = parseFloat(getComputedStyle(box).lineHeight) || 1;
  return Math.round(box.clientHeight / lh);
}

/** Scale, then clamp, until the card's content fits its box. */
export function fitCard(card) {
  const boxes = [...card.querySelectorAll("[data-clamp]")];
  boxes.forEach(unclamp);
  let scale = 1;
  card.style.setProperty("--s", "1");
  while (overflows(card) && scale > MIN_SCALE) {
    scale = Math.max(MIN_SCALE, Math.round((scale - STEP) * 100) / 100);
    card.style.setProperty("--s", String(scale));
  }
  for (let guard = 0; overflows(card) && guard < 60; guard++) {
    const candidates = boxes.filter((b) => shown(b) && lines(b) > 1);
    if (!candidates.length) break;
    const box = candidates.reduce((a, b) => (b.clientHeight > a.clientHeight ? b : a));
    box.classList.add("clamped");
    box.style.setProperty("-webkit-line-clamp", String(lines(box) - 1));
  }
}

/** Drop queue entries from the end while the queue card overflows; the last row says how many more. */
export function fitQueue(card, list, moreText) {
  const rows = [...list.querySelectorAll("li:not(.more)")];
  let hiddenCount = rows.filter((r) => r.hidden).length;
  let more = list.querySelector("li.more");
  for (let i = rows.length - 1; i >= 0 && overflows(card); i--) {
    if (rows[i].hidden) continue;
    rows[i].hidden = true;
    hiddenCount += 1;
    if (!more) {
      more = document.createElement("li");
      more.className = "more";
      list.append(more);
    }
    more.textContent = moreText(hiddenCount);
  }
}

export function fitAll(root) {
  for (const card of root.querySelectorAll(".d-body .panel:not(.d-queue)")) if (shown(card)) fitCard(card);
}
