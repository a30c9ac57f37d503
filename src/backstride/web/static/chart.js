/* backstride run chart: a cross-hair that reads elevation, pace, heart rate and cadence at a distance.
   The chart itself is SVG drawn by the server; data-series holds the binned values (SI, pace in s/unit). */
(function () {
  "use strict";
  var LABELS = { altitude: ["elev", " m"], pace: ["pace", ""], heart_rate: ["HR", ""], cadence: ["cad", ""] };

  function pace(seconds) {
    var s = Math.round(seconds), m = Math.floor(s / 60), r = s % 60;
    return m + ":" + (r < 10 ? "0" : "") + r;
  }

  function bind(svg) {
    var series;
    try { series = JSON.parse(svg.getAttribute("data-series") || "{}"); } catch (e) { return; }
    var d = series.d || [];
    if (d.length < 2) return;
    var unit = (series.unit_m || [1000])[0];
    var labels = JSON.parse(JSON.stringify(LABELS));
    labels.altitude[1] = " " + (series.elev_unit || ["m"])[0];
    var width = svg.viewBox.baseVal.width;
    var total = d[d.length - 1];
    var cursor = svg.querySelector(".cursor");
    var readout = svg.parentNode.querySelector(".readout");
    function move(event) {
      var box = svg.getBoundingClientRect();
      var x = Math.max(0, Math.min(width, (event.clientX - box.left) / box.width * width));
      var metres = x / width * total;
      var best = 0;
      for (var i = 1; i < d.length; i++) { if (Math.abs(d[i] - metres) < Math.abs(d[best] - metres)) best = i; }
      cursor.setAttribute("x1", x); cursor.setAttribute("x2", x);
      var parts = [(d[best] / unit).toFixed(2)];
      Object.keys(labels).forEach(function (key) {
        var values = series[key];
        if (!values || values[best] === null || values[best] === undefined) return;
        var v = values[best];
        parts.push(labels[key][0] + " " + (key === "pace" ? pace(v) : Math.round(v)) + labels[key][1]);
      });
      if (readout) readout.textContent = parts.join(" · ");
    }
    svg.addEventListener("pointermove", move);
    svg.addEventListener("pointerdown", move);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("svg.chart-svg[data-series]").forEach(bind);
  });
})();
