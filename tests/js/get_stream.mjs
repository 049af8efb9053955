// Reads a payment stream through ethers.js v6: `contract.getStream(id)` at a given block, over
// JSON-RPC, and prints its struct's fields as one JSON line (uint256 as decimal strings).
// Usage: node tests/js/get_stream.mjs <rpc url> <PaymentStream address> <abi json file> <id> <block>
import { readFileSync } from "node:fs";
import { Contract, JsonRpcProvider } from "ethers";

const [url, address, abiFile, streamId, block] = process.argv.slice(2);
const abi = JSON.parse(readFileSync(abiFile, "utf8"));
const provider = new JsonRpcProvider(url, undefined, { staticNetwork: true });
const contract = new Contract(address, abi, provider);
const stream = await contract.getStream(BigInt(streamId), { blockTag: Number(block) });
const fields = {};
for (const name of stream.toObject ? Object.keys(stream.toObject()) : []) {
  const value = stream[name];
  fields[name] = typeof value === "bigint" ? value.toString() : value;
}
let unknown = null;
try {
  await contract.getStream(10n ** 30n, { blockTag: Number(block) });
} catch (error) {
  unknown = { code: error.code, reason: error.reason ?? null };
}
console.log(JSON.stringify({ fields, unknown }));
provider.destroy();
