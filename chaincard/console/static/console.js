// ChainCard console: draws each <canvas data-chart="…"> with Chart.js. Loaded from this console
// only (the Content-Security-Policy allows no inline script); it never sees the operator's token,
// which stays on the server.
(function () {
  "use strict";
  var palette = ["#c0392b", "#2471a3", "#229954", "#d68910", "#7d3c98", "#17a589", "#839192", "#a04000"];

  function draw(root) {
    if (typeof window.Chart === "undefined") { return; }
    var canvases = (root || document).querySelectorAll("canvas[data-chart]");
    for (var i = 0; i < canvases.length; i++) {
      var canvas = canvases[i];
      if (canvas.dataset.drawn) { continue; }
      var spec;
      try { spec = JSON.parse(canvas.dataset.chart); } catch (e) { continue; }
      var round = spec.type === "doughnut";
      var datasets = spec.datasets.map(function (set, index) {
        var colour = palette[index % palette.length];
        return {
          label: set.label, data: set.data, borderWidth: 2,
          borderColor: round ? "#fff" : colour,
          backgroundColor: round ? palette.slice(0, set.data.length) : colour + (spec.type === "line" ? "33" : "cc"),
          fill: spec.type === "line", tension: 0.25, pointRadius: 2
        };
      });
      new window.Chart(canvas, {
        type: spec.type,
        data: { labels: spec.labels, datasets: datasets },
        options: {
          responsive: true, maintainAspectRatio: false, animation: false,
          indexAxis: spec.horizontal ? "y" : "x",
          plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } }
        }
      });
      canvas.dataset.drawn = "1";
    }
  }

  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSettle", function (event) { draw(event.target); });
})();
