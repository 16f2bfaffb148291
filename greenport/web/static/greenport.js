/* GreenPort pages: charts and small actions, from a file because the Content-Security-Policy
   allows scripts from 'self' only (no inline code, no eval).

   A template hands data over in <script type="application/json" class="gp-charts"> blocks:
     {"maps": {name: geojson, ...}, "charts": {elementId: echartsOption, ...}}
   Every block not yet drawn is drawn when the page loads and after each HTMX swap (the
   dashboard's live part); maps are registered before any chart is drawn. */
(function () {
  "use strict";

  function gpChart(id, option) {
    var el = document.getElementById(id);
    if (!el || !window.echarts) return null;
    var chart = echarts.getInstanceByDom(el) || echarts.init(el);
    chart.setOption(option, true);
    return chart;
  }
  window.gpChart = gpChart;

  function drawPending() {
    var blocks = Array.prototype.slice.call(document.querySelectorAll("script.gp-charts:not([data-drawn])"));
    var data = blocks.map(function (node) {
      node.setAttribute("data-drawn", "1");
      return JSON.parse(node.textContent);
    });
    data.forEach(function (d) {
      Object.keys(d.maps || {}).forEach(function (name) { echarts.registerMap(name, d.maps[name]); });
    });
    data.forEach(function (d) {
      Object.keys(d.charts || {}).forEach(function (id) { gpChart(id, d.charts[id]); });
    });
  }

  function csrfToken() {
    var meta = document.querySelector("meta[name=csrf-token]");
    return meta ? meta.content : "";
  }

  /* Devices page: <button class="gp-device-toggle" data-device="ID" data-active="true|false"> */
  function onClick(event) {
    var button = event.target.closest ? event.target.closest(".gp-device-toggle") : null;
    if (!button) return;
    fetch("/api/devices/" + button.getAttribute("data-device") + "/active", {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrfToken()},
      body: JSON.stringify({active: button.getAttribute("data-active") === "true"})
    }).then(function () { location.reload(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawPending();
    document.body.addEventListener("htmx:afterSwap", drawPending);
    document.body.addEventListener("click", onClick);
  });
})();
