// Shop: the one script. Pages work without it; it only keeps a form from being sent twice and
// shows that its request is under way.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (event.defaultPrevented || form.method.toLowerCase() !== "post") return;
  if (form.dataset.sending) {
    event.preventDefault();
    return;
  }
  form.dataset.sending = "1";
  var button = event.submitter || form.querySelector("button[type=submit], button:not([type])");
  if (button) {
    button.setAttribute("aria-busy", "true");
    button.classList.add("busy");
  }
  // A page kept in the back/forward cache shows the form ready again.
  window.addEventListener("pageshow", function () {
    delete form.dataset.sending;
    if (button) {
      button.removeAttribute("aria-busy");
      button.classList.remove("busy");
    }
  }, { once: true });
});

// A choice that changes the rest of a form (the catalog's kind brings its own filters) sends the
// form at once; without the script the form's button does the same.
document.addEventListener("change", function (event) {
  var field = event.target;
  if (field.matches && field.matches("select[data-submit-on-change]") && field.form) {
    field.form.requestSubmit ? field.form.requestSubmit() : field.form.submit();
  }
});
