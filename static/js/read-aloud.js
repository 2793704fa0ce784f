// 朗读: reads an article lesson aloud with the browser's own speech synthesis, where the device has a
// Chinese voice (no server speech). The button stays hidden when the API or a Chinese voice is missing.
(function () {
  var button = document.getElementById("read-aloud");
  var article = document.querySelector(".lesson-text");
  if (!button || !article || !("speechSynthesis" in window) || typeof SpeechSynthesisUtterance !== "function") return;
  var synth = window.speechSynthesis;
  var voice = null, reading = false;

  function chineseVoice() {
    var voices = synth.getVoices() || [];
    var chinese = voices.filter(function (v) { return /^(zh|cmn)([-_]|$)/i.test(v.lang || ""); });
    // Mainland Mandarin first, then any Chinese voice.
    return chinese.filter(function (v) { return /^(zh|cmn)[-_](CN|Hans)/i.test(v.lang); })[0] || chinese[0] || null;
  }

  // Short pieces, sentence by sentence: some engines stop a long utterance after about 15 seconds.
  function pieces(text) {
    var parts = text.replace(/\s+/g, " ").match(/[^。！？!?；;]+[。！？!?；;]*/g) || [];
    var out = [], current = "";
    parts.forEach(function (part) {
      if ((current + part).length > 160 && current) { out.push(current); current = ""; }
      current += part;
    });
    if (current.trim()) out.push(current);
    return out;
  }

  function show(isReading) {
    reading = isReading;
    button.textContent = isReading ? button.dataset.stopText : button.dataset.startText;
    button.setAttribute("aria-pressed", isReading ? "true" : "false");
  }

  function stop() { synth.cancel(); show(false); }

  function start() {
    var queue = pieces(article.innerText || article.textContent || "");
    if (!queue.length) return;
    synth.cancel();
    show(true);
    queue.forEach(function (text, index) {
      var utterance = new SpeechSynthesisUtterance(text);
      utterance.voice = voice;
      utterance.lang = voice.lang;
      utterance.rate = 0.9;  // a little slower than the default: easier to follow
      if (index === queue.length - 1) utterance.onend = function () { show(false); };
      utterance.onerror = function () { show(false); };
      synth.speak(utterance);
    });
  }

  function offer() {
    voice = chineseVoice();
    button.hidden = !voice;
  }

  button.addEventListener("click", function () { if (reading) stop(); else start(); });
  window.addEventListener("pagehide", function () { synth.cancel(); });
  offer();
  // Voices often arrive after the page loads.
  if (typeof synth.addEventListener === "function") synth.addEventListener("voiceschanged", offer);
  else synth.onvoiceschanged = offer;
})();
