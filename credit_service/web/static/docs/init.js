// Starts Swagger UI on the page's spec URL; kept out of the HTML so the CSP needs no inline script.
window.addEventListener("load", function () {
  var holder = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({ url: holder.dataset.specUrl, dom_id: "#swagger-ui" });
});
