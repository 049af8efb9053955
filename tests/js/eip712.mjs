// EIP-712 as a browser client does it, with ethers.js v6 (a client nobody here wrote).
// Reads a JSON array of requests on stdin and prints one JSON line: an array of answers.
//
//   {"op": "sign", "key", "domain", "types", "value"}
//     Wallet.signTypedData(domain, types, value); `types` may be the whole `types` object
//     GET /api/payments/domain answers: EIP712Domain is dropped first, as ethers wants it gone.
//     -> {"signature", "compact", "address", "digest"}
//   {"op": "verify", "typedData": {"domain", "types", "primaryType", "message"}, "signature"}
//     verifyTypedData over a full typed-data object (tidecast's own `typed_data()`).
//     -> {"address", "digest"}
//
// uint256 values arrive as decimal strings (JSON numbers lose precision past 2**53) and
// bytes32 values as 0x hex strings; ethers takes both as they are.
// Usage: node tests/js/eip712.mjs < requests.json
import { TypedDataEncoder, Signature, Wallet, verifyTypedData } from "ethers";

function withoutDomain(types) {
  const { EIP712Domain, ...rest } = types;
  return rest;
}

async function answer(request) {
  if (request.op === "sign") {
    const wallet = new Wallet(request.key);
    const types = withoutDomain(request.types);
    const signature = await wallet.signTypedData(request.domain, types, request.value);
    return {
      signature,
      compact: Signature.from(signature).compactSerialized,
      address: wallet.address,
      digest: TypedDataEncoder.hash(request.domain, types, request.value),
    };
  }
  if (request.op === "verify") {
    const { domain, types, message } = request.typedData;
    const plain = withoutDomain(types);
    return {
      address: verifyTypedData(domain, plain, message, request.signature),
      digest: TypedDataEncoder.hash(domain, plain, message),
    };
  }
  throw new Error(`unknown op ${request.op}`);
}

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const requests = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const answers = [];
for (const request of requests) answers.push(await answer(request));
console.log(JSON.stringify(answers));
