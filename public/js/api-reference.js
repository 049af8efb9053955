// Renders /api/openapi.json with the vendored Swagger UI (public/vendor/swagger-ui-dist/).
// "Try it out" sends real requests to this origin; the validator badge is off, since it
// would send the document to a third-party service.
window.SwaggerUIBundle({
  url: "/api/openapi.json",
  dom_id: "#reference",
  deepLinking: true,
  validatorUrl: null,
  defaultModelsExpandDepth: 0,
  docExpansion: "list",
});
