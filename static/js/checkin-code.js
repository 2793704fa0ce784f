// The organisers' screen: fetch the current code and QR, and fetch again when it rotates.
(function () {
  var screen = document.getElementById("code-screen");
  if (!screen) return;
  var qr = document.getElementById("qr"), code = document.getElementById("code"), countdown = document.getElementById("countdown");
  var left = 0;
  function refresh() {
    fetch(screen.dataset.url, {credentials: "same-origin", cache: "no-store"})
      .then(function (response) { return response.json(); })
      .then(function (data) {
        code.textContent = data.code;
        qr.innerHTML = data.qr_svg;  // SVG drawn by the server from the check-in address
        left = data.seconds_left;
      })
      .catch(function () { left = 5; });
  }
  setInterval(function () {
    left -= 1;
    countdown.textContent = left > 0 ? left + " s" : "";
    if (left <= 0) refresh();
  }, 1000);
  refresh();
})();
