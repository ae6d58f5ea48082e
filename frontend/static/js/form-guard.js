// A classic script, run before the page's modules: the browser itself never submits a form this app's
// JavaScript handles (a <form> without a `method`). Until the module that handles a form has loaded (its
// translations arrive first), a tap on "submit" would otherwise send the fields, a password among them, in
// the URL of a GET to the page itself. Such an early tap is kept, not lost: forms.js (onSubmit) submits the
// form again, with the values it then holds, as soon as its handler is attached. Forms with an explicit
// method (method="dialog") keep the browser's default.
window.ecabinetEarlySubmits = new Map(); // form → the button tapped (or null: Enter in a field)
document.addEventListener(
  "submit",
  (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || form.hasAttribute("method")) return;
    event.preventDefault();
    if (form.dataset.handled) return; // its module handles this one
    window.ecabinetEarlySubmits.set(form, event.submitter || null);
    form.setAttribute("aria-busy", "true"); // the page shows it is still loading; the tap was taken
  },
  true,
);
