// Draws the server-built Plotly figures; a click on an organisation's bar opens its own dashboard.
(function () {
  if (!window.Plotly) return;  // the tables beside each chart still carry the figures
  var drill = document.getElementById("drilldown");
  // The look every chart shares, sent once for the page rather than inside each figure.
  var templateSource = document.getElementById("plotly-template");
  var template = templateSource ? JSON.parse(templateSource.textContent) : null;
  document.querySelectorAll("[data-figure]").forEach(function (element) {
    var source = document.getElementById(element.dataset.figure);
    var figure = JSON.parse(source.textContent);
    if (template) figure.layout.template = template;
    // The mode bar needs an injected stylesheet, which the content security policy (rightly) refuses.
    Plotly.newPlot(element, figure.data, figure.layout, {displayModeBar: false, responsive: true});
    element.on("plotly_click", function (event) {
      var point = event.points && event.points[0];
      if (!point || point.customdata === undefined || !drill) return;
      var url = new URL(drill.dataset.url, window.location.href);
      url.searchParams.set("org", point.customdata);
      window.location.href = url.toString();
    });
  });
})();
