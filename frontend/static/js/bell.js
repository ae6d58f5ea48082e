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

async function refresh() {
  try {
    const found = await get("/api/notifications?limit=1");
    show(found.unread);
  } catch {
    /* the header stays as it was; the next event or reconnect tries again */
  }
}

if (bell) {
  const socket = io({ transports: ["websocket"] });
  socket.on("connect", refresh);
  socket.on("notification", (msg) => show(Number(msg?.unread ?? 0)));
}
