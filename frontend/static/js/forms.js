// The one way to handle a form's submission (tests/test_frontend_forms.py checks it): until this is called
// for a form, the browser does not submit it and its submit button takes no taps (form-guard.js, app.css).
// Call it once the form shows what it will send (its saved values, its lists loaded).
export function onSubmit(form, handler) {
  if (!form) return;
  form.addEventListener("submit", handler);
  form.dataset.handled = "true";
}
