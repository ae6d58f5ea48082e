// fetch wrapper for /api: JSON in and out, the CSRF header on writes, the error envelope turned into ApiError.
import { t } from "./i18n.js";
import { toast } from "./toast.js";

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details ?? null;
  }

  /** [{field, message}] from a 422, with the leading "body." dropped. */
  get fieldErrors() {
    if (!Array.isArray(this.details)) return [];
    return this.details
      .filter((d) => d && typeof d === "object" && d.field)
      .map((d) => ({ field: String(d.field).replace(/^body\./, ""), message: d.message ?? "" }));
  }
}

export function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.content ?? "";
}

/** api("POST", "/api/meetings", {...}) → parsed JSON (null for 204); throws ApiError. */
export async function api(method, url, body) {
  const headers = { Accept: "application/json" };
  const init = { method, headers, credentials: "same-origin" };
  if (method !== "GET" && method !== "HEAD") headers["X-CSRF-Token"] = csrfToken();
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch {
    throw new ApiError(0, "network", t("common.network"));
  }
  if (response.status === 204) return null;
  let payload = null;
  try {
    payload = await response.json();
  } catch {
    payload = null;
  }
  if (!response.ok) throw errorFrom(response.status, payload);
  return payload;
}

/** The error envelope {error: {code, message, details}} of a failed response as an ApiError. */
export function errorFrom(status, payload) {
  const err = payload?.error ?? {};
  return new ApiError(status, err.code ?? "http_error", err.message ?? `${t("common.error")} ${status}`, err.details);
}

export const get = (url) => api("GET", url);
export const post = (url, body) => api("POST", url, body ?? {});
export const patch = (url, body) => api("PATCH", url, body);
export const del = (url) => api("DELETE", url);

/** Clear the field messages a previous showError put into `form`. */
export function clearErrors(form) {
  if (!form) return;
  form.querySelectorAll(".field.invalid").forEach((f) => f.classList.remove("invalid"));
  form.querySelectorAll("[data-error-for]").forEach((n) => (n.textContent = ""));
  form.querySelectorAll("[aria-invalid]").forEach((n) => n.removeAttribute("aria-invalid"));
}

/**
 * Show an error to the user: the message in a toast (or in `box` if given), each 422 field message next to
 * its input in `form` (elements with data-error-for="<field>"); field errors with no home are listed.
 */
export function showError(err, { form = null, box = null } = {}) {
  const message = err instanceof Error ? err.message : String(err);
  clearErrors(form);
  const leftovers = [];
  for (const { field, message: msg } of err instanceof ApiError ? err.fieldErrors : []) {
    const slot = form?.querySelector(`[data-error-for="${CSS.escape(field)}"]`);
    if (slot) {
      slot.textContent = msg;
      const wrap = slot.closest(".field");
      wrap?.classList.add("invalid");
      wrap?.querySelector("input,select,textarea")?.setAttribute("aria-invalid", "true");
    } else {
      leftovers.push(`${field}: ${msg}`);
    }
  }
  if (box) {
    box.textContent = message;
    if (leftovers.length) {
      const list = document.createElement("ul");
      for (const line of leftovers) list.append(Object.assign(document.createElement("li"), { textContent: line }));
      box.append(list);
    }
    box.hidden = false;
  } else {
    toast(leftovers.length ? `${message} (${leftovers.join("; ")})` : message, "error");
  }
}
