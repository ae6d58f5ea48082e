// A classic script, run before the page's modules: the browser itself never submits a form this app's
// JavaScript handles (a <form> without a `method`). Until the module that handles a form has loaded (its
// translations arrive first), a tap on "submit" would otherwise send the fields, a password among them, in
// the URL of a GET to the page itself. Forms with an explicit method (method="dialog") keep the default.
document.addEventListener(
  "submit",
  (event) => {
    const form = event.target;
    if (form instanceof HTMLFormElement && !form.hasAttribute("method")) event.preventDefault();
  },
  true,
);
