// UI strings: the page embeds the server's table (Vietnamese first) as JSON in <script id="i18n">.
let table = null;

function load() {
  if (table === null) {
    const node = document.getElementById("i18n");
    try {
      table = node ? JSON.parse(node.textContent) : {};
    } catch {
      table = {};
    }
  }
  return table;
}

/** t("live.quorum_no", {required: 18, total: 27}) → text with {placeholders} filled in. */
export function t(key, params) {
  const text = load()[key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

export function lang() {
  return document.documentElement.lang === "en" ? "en" : "vi";
}
