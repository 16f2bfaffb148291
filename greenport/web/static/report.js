/* The report form's place picker: a tap on the town map (ECharts, vendored) or the phone's
   position fills the longitude and latitude inputs (degrees, WGS 84). Loaded by report/form.html
   only; no inline script (the site's CSP). */
(function () {
  "use strict";
  var lon = document.getElementById("report-lon");
  var lat = document.getElementById("report-lat");
  var here = document.getElementById("report-here");
  function fill(x, y) {
    lon.value = x.toFixed(6);
    lat.value = y.toFixed(6);
    lon.dispatchEvent(new Event("change"));
  }
  if (here && navigator.geolocation) {
    here.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (p) { fill(p.coords.longitude, p.coords.latitude); });
    });
  } else if (here) {
    here.hidden = true;
  }
  var box = document.getElementById("report-map");
  var data = document.getElementById("report-map-data");
  if (!box || !data || typeof echarts === "undefined") { return; }
  var geo = JSON.parse(data.textContent);
  if (!geo.features || !geo.features.length) { box.hidden = true; return; }
  echarts.registerMap("report-towns", geo);
  var chart = echarts.init(box);
  function draw() {
    var point = lon.value && lat.value ? [[parseFloat(lon.value), parseFloat(lat.value)]] : [];
    chart.setOption({
      geo: { map: "report-towns", roam: true, label: { show: true }, itemStyle: { areaColor: "#eef5ee" } },
      series: [{ type: "scatter", coordinateSystem: "geo", data: point, symbolSize: 14 }]
    });
  }
  draw();
  chart.getZr().on("click", function (event) {
    var at = chart.convertFromPixel({ geoIndex: 0 }, [event.offsetX, event.offsetY]);
    if (at) { fill(at[0], at[1]); draw(); }
  });
  lon.addEventListener("change", draw);
  lat.addEventListener("change", draw);
  window.addEventListener("resize", function () { chart.resize(); });
}());
