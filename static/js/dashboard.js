// Draws the server-built Plotly figures; a click on an organisation's bar opens its own dashboard.
(function () {
  if (!window.Plotly) return;  // the tables beside each chart still carry the figures
  var drill = document.getElementById("drilldown");
  // The mode bar is not needed; responsive: each chart follows its card's width (a phone turned, a
  // window resized). A Chinese page gets Chinese dates and words (plotly-locale-zh-cn.js registers it).
  var config = {displayModeBar: false, responsive: true};
  if (document.documentElement.lang === "zh-Hans") config.locale = "zh-CN";
  document.querySelectorAll("[data-figure]").forEach(function (element) {
    var source = document.getElementById(element.dataset.figure);
    var figure = JSON.parse(source.textContent);
    Plotly.newPlot(element, figure.data, figure.layout, config);
    element.on("plotly_click", function (event) {
      var point = event.points && event.points[0];
      if (!point || point.customdata === undefined || !drill) return;
      var url = new URL(drill.dataset.url, window.location.href);
      url.searchParams.set("org", point.customdata);
      window.location.href = url.toString();
    });
  });
})();
