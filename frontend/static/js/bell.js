// The header's bell: the unread count, kept live over the socket (event `notification` goes to this user's own
// sockets only) and read again whenever the socket (re)connects.
import { io } from "/static/vendor/socket.io.esm.min.js";
import { get } from "./api.js";
import { t } from "./i18n.js";

const bell = document.getElementById("bell");
const badge = bell?.querySelector(".bell-count");

function show(unread) {
  if (!badge) return;
  badge.textContent = unread > 99 ? "99+" : String(unread);
  badge.hidden = unread === 0;
  bell.dataset.unread = String(unread);
  bell.title = unread ? t("bell.unread", { n: unread }) : t("nav.bell");
  document.dispatchEvent(new CustomEvent("notifications:changed", { detail: { unread } }));
}

// Two notifications committed at once may reach this page out of order, each with the count its own
// transaction saw; the count shown at once is then corrected by one read made after the last event. Only the
// newest read's answer is shown, so a slow older answer never overwrites a newer one.
let asked = 0;
let pending = null;

async function refresh() {
  const mine = ++asked;
  try {
    const found = await get("/api/notifications?limit=1");
    if (mine === asked) show(found.unread);
  } catch {
    /* the header stays as it was; the next event or reconnect tries again */
  }
}

function settle() {
  clearTimeout(pending);
  pending = setTimeout(refresh, 150);
}

if (bell) {
  const socket = io({ transports: ["websocket"] });
  socket.on("connect", refresh);
  socket.on("notification", (msg) => {
    show(Number(msg?.unread ?? 0));
    settle();
  });
}
