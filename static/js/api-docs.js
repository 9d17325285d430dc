// The API's documentation page (/api/v1/docs): Swagger UI, vendored, reading /api/v1/openapi.json.
// A file of its own: the strict Content-Security-Policy allows no inline script.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("api-docs");
  if (!root || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  window.SwaggerUIBundle({
    url: root.getAttribute("data-spec-url"),
    domNode: root,
    deepLinking: true,
    // Calls from the page send the token typed in "Authorize", never a cookie.
    withCredentials: false,
    persistAuthorization: false,
    validatorUrl: null,
  });
});
