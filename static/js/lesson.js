// Reports learning to the server: the seconds a video or audio actually played
// (not skipped) every few seconds, and when a reading lesson may be marked done.
// The server credits no more than the wall clock allows; this script only reports.
(function () {
  var root = document.getElementById("lesson");
  if (!root) return;
  var kind = root.dataset.kind;
  var url = root.dataset.reportUrl;
  var token = root.dataset.token;
  var csrf = root.dataset.csrf;
  var status = document.getElementById("lesson-status");
  var heartbeat = Math.max(3, parseInt(root.dataset.heartbeat, 10) || 10) * 1000;

  function send(body) {
    body.token = token;
    var payload = JSON.stringify(body);
    return fetch(url, {
      method: "POST", credentials: "same-origin", keepalive: true,
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
      body: payload
    }).then(function (response) {
      return response.json().then(function (data) { return {ok: response.ok, data: data}; });
    }).then(function (result) {
      if (!result.ok && result.data.error) { showStatus(result.data.error, "text-danger"); return; }
      if (typeof result.data.credited_seconds === "number") {
        showLeft(result.data.credited_seconds, result.data.lesson_completed);
      }
      if (result.data.lesson_completed) { showStatus(status.dataset.doneText || "✓", "text-success"); }
    }).catch(function () { /* offline: the unplayed seconds are reported next time */ });
  }

  // "还需学习 N 分钟" under the player: the server's credited seconds against the seconds it requires.
  // The texts come translated in both plural forms (one, other), as the page rendered them.
  var left = document.getElementById("media-progress");
  function showLeft(credited, completed) {
    if (!left) return;
    var needed = parseFloat(left.dataset.needed) || 0;
    var remaining = Math.max(0, needed - credited);
    var bar = left.querySelector("progress");
    var percent = completed || !needed ? 100 : Math.min(100, Math.floor(100 * credited / needed));
    bar.value = percent;
    bar.textContent = percent + "%";
    var text;
    if (completed) text = left.dataset.textDone;
    else if (remaining < 60) text = left.dataset.textUnder;
    else {
      var minutes = Math.ceil(remaining / 60);
      text = (minutes === 1 ? left.dataset.textOne : left.dataset.textOther).replace("%(num)d", String(minutes));
    }
    left.querySelector(".media-left").textContent = text;
  }

  function showStatus(text, css) {
    if (!status) return;
    status.textContent = text;
    status.className = "mt-3 " + css;
  }

  var player = document.getElementById("player");
  if (player && (kind === "video" || kind === "audio")) {
    var played = 0, lastTime = null;
    var resumeAt = parseFloat(root.dataset.position) || 0;
    player.addEventListener("loadedmetadata", function () {
      if (resumeAt > 0 && resumeAt < player.duration - 1) player.currentTime = resumeAt;
    });
    // Only small forward steps count as playing; a seek is a jump.
    function step() {
      var now = player.currentTime;
      if (lastTime !== null && !player.seeking && now > lastTime && now - lastTime < 1.5) played += now - lastTime;
      lastTime = now;
    }
    player.addEventListener("timeupdate", step);
    // Counting starts where play starts, so the first step is not lost (a quarter of a 2-second clip).
    player.addEventListener("play", function () { lastTime = player.currentTime; });
    player.addEventListener("seeking", function () { lastTime = null; });
    function flush() {
      if (played <= 0 && player.paused) return;
      var amount = played; played = 0;
      send({played: amount, position: player.currentTime});
    }
    setInterval(flush, heartbeat);
    player.addEventListener("pause", function () { step(); flush(); });
    // The last step, from the last timeupdate to the end, counts too.
    player.addEventListener("ended", function () { step(); flush(); });
    document.addEventListener("visibilitychange", function () { if (document.hidden) flush(); });
  }

  var button = document.getElementById("mark-read");
  if (button) {
    var wait = parseInt(root.dataset.readingSeconds, 10) || 0;
    if (wait > 0 && root.dataset.completed !== "true") {
      button.disabled = true;
      setTimeout(function () { button.disabled = false; }, wait * 1000);
    }
  }
})();
