// Reads a chain through ethers.js v6 (a JSON-RPC client nobody here wrote) and prints what it
// saw as one JSON line: the chain id, the block number, a contract call, an event query, a
// transaction's receipt and a revert as ethers decodes it.
// Usage: node tests/js/ethers_probe.mjs <rpc url> <contract address> <abi json file>
import { readFileSync } from "node:fs";
import { Contract, JsonRpcProvider } from "ethers";

const [url, address, abiFile] = process.argv.slice(2);
const abi = JSON.parse(readFileSync(abiFile, "utf8"));
// staticNetwork: no network-change polling; the probe asks eth_chainId itself below.
const provider = new JsonRpcProvider(url, undefined, { staticNetwork: false, polling: true, pollingInterval: 100 });
const network = await provider.getNetwork();
const blockNumber = await provider.getBlockNumber();
const block = await provider.getBlock("latest");
const signer = await provider.getSigner(0);
const contract = new Contract(address, abi, signer);
const before = await contract.value();
const tx = await contract.set(42n);
const receipt = await tx.wait();
const after = await contract.value();
const events = await contract.queryFilter(contract.filters.Set(), 0, "latest");
let revert = null;
try {
  await contract.set.staticCall(13n);
} catch (error) {
  revert = { code: error.code, reason: error.reason ?? null, data: error.data ?? null };
}
const feeData = await provider.getFeeData();
console.log(
  JSON.stringify({
    chainId: network.chainId.toString(),
    blockNumber,
    blockTimestamp: block.timestamp,
    before: before.toString(),
    after: after.toString(),
    receiptStatus: receipt.status,
    receiptLogs: receipt.logs.length,
    events: events.map((e) => e.args.value.toString()),
    revert,
    maxFeePerGas: feeData.maxFeePerGas === null ? null : feeData.maxFeePerGas.toString(),
  }),
);
provider.destroy();
