// A classic script, run before the page's modules: the browser itself never submits a form this app's
// JavaScript handles (a <form> without a `method`). Until the module that handles a form has loaded (its
// translations arrive first), a tap on "submit" would otherwise send the fields, a password among them, in
// the URL of a GET to the page itself. Until then the form's submit button does not take taps either (app.css,
// forms.js: onSubmit marks the form handled): a tap is not silently dropped, it is not possible, and the
// button turns grey if the wait is long enough to notice. An early tap is not replayed later on purpose: the
// module may still fill in the form (saved values, lists), and what is sent must be what the user saw.
// Forms with an explicit method (method="dialog") keep the browser's default.
document.addEventListener(
  "submit",
  (event) => {
    const form = event.target;
    if (form instanceof HTMLFormElement && !form.hasAttribute("method") && !form.dataset.handled) {
      event.preventDefault();
    }
  },
  true,
);
