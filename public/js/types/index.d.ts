// Friendly names for the API's types, for the pages' JSDoc:
//   /** @param {import("/js/types/index").Stream} stream */
// api.d.ts is generated from openapi.json (`make js-types`; `make lint-js` fails while it is
// stale): edit the API, not these types.
import type { components, operations, paths } from "./api";

export type { components, operations, paths };

/** Any schema of the API's OpenAPI document by its name: `Schema<"Stream">`. */
export type Schema<Name extends keyof components["schemas"]> = components["schemas"][Name];

/** What every successful reply of the API looks like: `{ success: true, data }`. */
export interface Envelope<T> {
  success: true;
  data: T;
}

// Streams (videos) and channels.
export type Stream = Schema<"Stream">;
export type StreamPage = Schema<"StreamPage">;
export type Variant = Schema<"Variant">;
export type Creator = Schema<"Creator">;
export type Channel = Schema<"Channel">;
export type Position = Schema<"Position">;
export type PatchBody = Schema<"PatchBody">;
export type Deleted = Schema<"Deleted">;

// Accounts and wallets.
export type Me = Schema<"Me">;
export type User = Schema<"User">;
export type PublicUser = Schema<"PublicUser">;
export type Login = Schema<"Login">;
export type Registered = Schema<"Registered">;
export type Notice = Schema<"Notice">;
export type Wallet = Schema<"Wallet">;
export type Nonce = Schema<"Nonce">;

// Payments on chain.
export type PaymentsConfig = Schema<"Config">;
export type TokenInfo = Schema<"TokenInfo">;
export type Gas = Schema<"Gas">;
export type Mine = Schema<"Mine">;
export type PaymentStream = Schema<"PaymentStream">;
export type VideoEarnings = Schema<"VideoEarnings">;
export type VideoRef = Schema<"VideoRef">;
export type Playback = Schema<"Playback">;
export type PlaybackPayment = Schema<"PlaybackPayment">;
export type Domain = Schema<"Domain">;
export type PaymentStatus = Schema<"Status">;

// Card credit (billing).
export type Balance = Schema<"Balance">;
export type BillingOffer = Schema<"BillingOffer">;
export type CheckoutStarted = Schema<"CheckoutStarted">;
export type HistoryPage = Schema<"HistoryPage">;
export type LedgerRow = Schema<"LedgerRow">;
export type CreditPlayback = Schema<"CreditPlayback">;

/** An error reply's body: `{ success: false, error, code }` (`code` names the status: BAD_REQUEST…). */
export interface ErrorBody {
  success: false;
  error: string;
  code: string;
}
