/* backstride: starts Swagger UI on /api/docs (a file, so the page needs no inline script). */
(function () {
  "use strict";
  window.addEventListener("load", function () {
    var root = document.getElementById("swagger-ui");
    window.ui = window.SwaggerUIBundle({ url: root.getAttribute("data-url"), dom_id: "#swagger-ui", deepLinking: true });
  });
})();
