// A job's page: poll its progress and reload the page when it is finished (learning_app/jobs/views.py).
(function () {
  var box = document.getElementById("job");
  if (!box || box.dataset.finished === "yes") return;
  var bar = document.getElementById("job-bar"), state = document.getElementById("job-state"),
      count = document.getElementById("job-count");
  function poll() {
    fetch(box.dataset.url, {credentials: "same-origin", cache: "no-store"})
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (data.finished) { window.location.reload(); return; }
        bar.value = data.percent;
        bar.textContent = data.percent + " %";
        state.textContent = data.label;
        count.textContent = (data.total ? data.done + " / " + data.total + " · " : "") + data.percent + " %";
        setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 1000);
})();
