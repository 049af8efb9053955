// The globals the vendored classic scripts define, typed by their pinned packages: hls.js
// (public/vendor/hls.js/hls.min.js, a <script> before the page's module) sets window.Hls;
// Swagger UI's bundle (the API reference page) sets window.SwaggerUIBundle.
// ethers is imported as a module (/vendor/ethers/ethers.min.js: tsconfig.json maps it to the
// package's types); the wallet extensions set window.ethereum (EIP-1193).
import type HlsClass from "hls.js";
import type { Eip1193Provider } from "/vendor/ethers/ethers.min.js";

declare global {
  /** hls.js, when its script has loaded (absent on a page that does not load it). */
  var Hls: typeof HlsClass | undefined;
  /** Swagger UI (public/vendor/swagger-ui-dist/swagger-ui-bundle.js), on the API reference page. */
  var SwaggerUIBundle: ((options: Record<string, unknown>) => unknown) | undefined;
  /** An injected wallet's EIP-1193 provider (the legacy global; EIP-6963 announces the rest). */
  var ethereum: (Eip1193Provider & { on?: Function; removeListener?: Function }) | undefined;
}

export {};
