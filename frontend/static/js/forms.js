// Submit handlers for the forms the browser must not submit itself (form-guard.js): attaching one also
// submits, once, what was tapped before it was attached, so a tap on a page that is still loading counts.
export function onSubmit(form, handler) {
  if (!form) return;
  form.addEventListener("submit", handler);
  form.dataset.handled = "true";
  const early = window.ecabinetEarlySubmits;
  if (!early?.has(form)) return;
  const submitter = early.get(form);
  early.delete(form);
  form.removeAttribute("aria-busy");
  form.requestSubmit(submitter?.form === form ? submitter : null);
}
