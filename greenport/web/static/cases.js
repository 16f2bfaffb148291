/* The case page's "use my location" button: fills the lon/lat inputs of its form from
   navigator.geolocation (a file, not inline code: the pages' CSP allows scripts from 'self' only). */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button.use-location") : null;
    if (!button || !navigator.geolocation) { return; }
    event.preventDefault();
    var form = button.form;
    navigator.geolocation.getCurrentPosition(function (position) {
      form.querySelector("input[name=lon]").value = position.coords.longitude.toFixed(6);
      form.querySelector("input[name=lat]").value = position.coords.latitude.toFixed(6);
    }, function (error) { button.title = error.message; });
  });
})();
