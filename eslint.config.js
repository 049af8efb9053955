// ESLint over the pages' JavaScript (public/, as the browser loads it; the vendored libraries
// are others' code). `make lint-js` runs it with TypeScript's checker (tsconfig.json).
import js from "@eslint/js";
import globals from "globals";

export default [
  // Only the pages: everything at the top but public/, and not the vendored copies.
  { ignores: ["*", "!public/", "public/vendor/"] },
  {
    files: ["public/**/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      globals: {
        ...globals.browser,
        // The vendored libraries' globals: hls.min.js and Swagger UI's bundle are classic
        // scripts (window.Hls, window.SwaggerUIBundle); ethers is imported as a module, but a
        // page may still find it on window.
        Hls: "readonly",
        SwaggerUIBundle: "readonly",
        ethers: "readonly",
      },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      ...js.configs.recommended.rules,
      "no-unused-vars": ["error", { args: "after-used", argsIgnorePattern: "^_", caughtErrors: "none" }],
      eqeqeq: ["error", "always", { null: "ignore" }],
      "no-implicit-globals": "error",
      "prefer-const": "error",
      "no-var": "error",
      "no-self-compare": "error",
      "no-template-curly-in-string": "error",
      "no-unmodified-loop-condition": "error",
      "no-unreachable-loop": "error",
      "no-constructor-return": "error",
      "array-callback-return": "error",
      "no-return-assign": "error",
      "no-throw-literal": "error",
      "no-useless-concat": "error",
      "radix": "error",
    },
  },
];
