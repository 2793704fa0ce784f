// Autosaves each answer as the member picks it, and counts down to the deadline.
// The server keeps the time and refuses late answers; this script only reports.
(function () {
  var form = document.getElementById("attempt-form");
  if (!form) return;
  var baseUrl = form.dataset.saveUrl.replace(/\/0$/, "/");
  var csrf = form.dataset.csrf;
  var timers = {};
  // The page says answers are saved on pressing save (true without this script); with it they are autosaved.
  var note = document.getElementById("save-note");
  if (note && note.dataset.autosaveText) note.textContent = note.dataset.autosaveText;

  function responseOf(fieldset) {
    var type = fieldset.dataset.type;
    var inputs = fieldset.querySelectorAll("input, textarea");
    if (type === "multiple") {
      return Array.prototype.filter.call(inputs, function (i) { return i.checked; }).map(function (i) { return i.value; });
    }
    if (type === "single" || type === "true_false") {
      var checked = Array.prototype.find.call(inputs, function (i) { return i.checked; });
      if (!checked) return null;
      return type === "true_false" ? checked.value === "true" : checked.value;
    }
    return inputs[0].value;
  }

  function mark(fieldset, text, css) {
    var state = fieldset.querySelector(".save-state");
    state.textContent = text;
    state.className = "small save-state " + css;
  }

  function save(fieldset) {
    var position = fieldset.dataset.position;
    fetch(baseUrl + position, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
      body: JSON.stringify({response: responseOf(fieldset)})
    }).then(function (response) {
      return response.json().then(function (data) {
        if (response.ok) { mark(fieldset, form.dataset.savedText, "text-success"); return; }
        mark(fieldset, data.error || form.dataset.failedText, "text-danger");
        if (data.closed) window.location.reload();
      });
    }).catch(function () { mark(fieldset, form.dataset.failedText, "text-danger"); });
  }

  form.querySelectorAll("fieldset.question").forEach(function (fieldset) {
    fieldset.addEventListener("change", function () { save(fieldset); });
    fieldset.addEventListener("input", function (event) {
      if (event.target.tagName !== "TEXTAREA" && event.target.type !== "text") return;
      clearTimeout(timers[fieldset.dataset.position]);
      timers[fieldset.dataset.position] = setTimeout(function () { save(fieldset); }, 800);
    });
  });

  form.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (button && button.dataset.confirmSubmit && !window.confirm(button.dataset.confirmSubmit)) event.preventDefault();
  });

  var countdown = document.getElementById("countdown");
  if (countdown) {
    var end = Date.now() + parseInt(countdown.dataset.secondsLeft, 10) * 1000;
    var tick = function () {
      var left = Math.max(0, Math.round((end - Date.now()) / 1000));
      var m = Math.floor(left / 60), s = left % 60;
      countdown.textContent = countdown.dataset.label + " " + m + ":" + (s < 10 ? "0" : "") + s;
      // The server closes the attempt after a short grace; look again once it has.
      if (left === 0) { setTimeout(function () { window.location.reload(); }, 31000); return; }
      setTimeout(tick, 1000);
    };
    tick();
  }
})();
