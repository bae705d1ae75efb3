// Starts Swagger UI on /docs with the app's own OpenAPI document (served from this app, no CDN).
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
});
