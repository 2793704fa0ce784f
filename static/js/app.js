// Small progressive enhancements; every page works without them.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
    return;
  }
  if (form.hasAttribute("data-busy")) {
    form.classList.add("is-busy");
    form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
  }
});
