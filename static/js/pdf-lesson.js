// Shows a PDF lesson inside the page with the vendored pdf.js (static/vendor/pdfjs), page by page on
// canvases: phones' browsers do not show PDFs in a frame. Pages are drawn as they scroll into view, so a
// slow link fetches and draws only what is read. Without JavaScript, or if drawing fails, the link to
// the file below the viewer remains. pdf.js runs with eval disabled (the CSP forbids it).
(function () {
  var root = document.getElementById("pdf-viewer");
  if (!root || typeof window.IntersectionObserver !== "function") return;
  var status = root.querySelector(".pdf-status");

  function say(text) {
    status.textContent = text;
    status.hidden = !text;
  }

  function pageLabel(number, count) {
    return root.dataset.pageText.replace("{number}", number).replace("{count}", count);
  }

  function draw(page, canvas) {
    // As wide as the viewer, sharp on high-density screens.
    var scale = root.clientWidth / page.getViewport({scale: 1}).width;
    var viewport = page.getViewport({scale: scale * (window.devicePixelRatio || 1)});
    canvas.width = Math.floor(viewport.width);
    canvas.height = Math.floor(viewport.height);
    return page.render({canvasContext: canvas.getContext("2d"), viewport: viewport}).promise;
  }

  function show(pdf) {
    var count = pdf.numPages;
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (!entry.isIntersecting) return;
        var canvas = entry.target;
        observer.unobserve(canvas);
        pdf.getPage(parseInt(canvas.dataset.page, 10)).then(function (page) {
          return draw(page, canvas);
        }).then(function () {
          canvas.dataset.drawn = "true";
        }).catch(function () { say(root.dataset.errorText); });
      });
    }, {rootMargin: "400px 0px"});
    // Placeholders sized like the first page, so the page does not jump while drawing.
    return pdf.getPage(1).then(function (first) {
      var size = first.getViewport({scale: 1});
      for (var number = 1; number <= count; number++) {
        var canvas = document.createElement("canvas");
        canvas.className = "pdf-page";
        canvas.width = Math.round(size.width);
        canvas.height = Math.round(size.height);
        canvas.dataset.page = String(number);
        canvas.setAttribute("role", "img");
        canvas.setAttribute("aria-label", pageLabel(number, count));
        root.appendChild(canvas);
        observer.observe(canvas);
      }
      say("");
    });
  }

  say(root.dataset.loadingText);
  import(root.dataset.pdfjs).then(function (pdfjs) {
    pdfjs.GlobalWorkerOptions.workerSrc = root.dataset.worker;
    return pdfjs.getDocument({
      url: root.dataset.src, isEvalSupported: false, cMapUrl: root.dataset.cmaps, cMapPacked: true,
      standardFontDataUrl: root.dataset.fonts
    }).promise;
  }).then(show).catch(function () { say(root.dataset.errorText); });
})();
