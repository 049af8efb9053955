// The creator studio: a resumable upload (tus, /js/tus.js), the stream's processing percent and
// ETA (polling GET /api/streams/<id>), prices (PATCH /api/streams/<id>), and earnings
// (GET /api/payments/mine) withdrawn from the creator's own wallet.
import { api, show, tokenKey } from "/js/api.js";
import { setUpDemoChooser } from "/js/link.js";
import { paymentsConfig, tokens, withdrawAll } from "/js/payments.js";
import * as tus from "/js/tus.js";
import { connect, reason } from "/js/wallet.js";

const token = sessionStorage.getItem(tokenKey);
const status = document.getElementById("status");
const alertBox = document.getElementById("alert");
const uploadBar = document.getElementById("upload-progress");
const uploadText = document.getElementById("upload-text");
const processingKey = "tidecast.processing";

function fail(error) {
  show(alertBox, error.message || String(error), "error");
}

function showUpload(done, total) {
  const percent = total ? Math.floor((done / total) * 100) : 0;
  uploadBar.value = percent;
  uploadText.textContent = `${percent} % (${tus.mb(done)} of ${tus.mb(total)})`;
}

// A stream that is processing: percent and ETA until ready or failed, then the list again.
async function follow(streamId) {
  localStorage.setItem(processingKey, streamId);
  const box = document.getElementById("processing");
  const bar = document.getElementById("processing-progress");
  const text = document.getElementById("processing-text");
  box.hidden = false;
  for (;;) {
    let stream;
    try {
      ({ data: stream } = await api(`/api/streams/${encodeURIComponent(streamId)}`));
    } catch (error) {
      if (error.status === 404) localStorage.removeItem(processingKey);
      fail(error);
      return;
    }
    bar.value = Math.round(stream.progress ?? 0);
    if (stream.status === "ready") {
      // The list first: "ready" is said once its row (and its price field) is there to use.
      await listStreams();
      bar.value = 100;
      text.textContent = `“${stream.title}” is ready.`;
      localStorage.removeItem(processingKey);
      show(status, `“${stream.title}” is published: set its price below.`, "ok");
      return;
    }
    if (stream.status === "failed") {
      text.textContent = `Processing failed: ${stream.error || "unknown reason"}`;
      localStorage.removeItem(processingKey);
      fail(new Error(`Processing “${stream.title}” failed: ${stream.error || "unknown reason"}`));
      await listStreams();
      return;
    }
    const eta = stream.etaSeconds === null || stream.etaSeconds === undefined ? "estimating time left" : `about ${Math.ceil(stream.etaSeconds)} s left`;
    text.textContent = `Processing: ${bar.value} %, ${eta}`;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

async function resumeNotice() {
  const saved = tus.savedUpload();
  const notice = document.getElementById("resume");
  if (!saved) {
    notice.hidden = true;
    return;
  }
  try {
    const { offset, length } = await tus.status(saved, token);
    showUpload(offset, length);
    notice.textContent = `An upload of ${saved.name} stopped at ${Math.floor((offset / length) * 100)} %. Choose the same file to resume it, or another to start afresh.`;
    notice.hidden = false;
  } catch (error) {
    tus.forgetUpload();
    fail(error);
  }
}

document.getElementById("upload").addEventListener("submit", async (event) => {
  event.preventDefault();
  alertBox.hidden = true;
  const form = event.target;
  const file = form.elements.file.files[0];
  if (!file) return;
  const button = form.querySelector("button");
  button.disabled = true;
  try {
    let saved = tus.savedUpload();
    if (!tus.sameFile(saved, file)) saved = await tus.create(file, form.elements.title.value.trim(), token);
    else show(status, `Resuming the upload of ${file.name}.`);
    const streamId = await tus.send(saved, file, token, showUpload);
    document.getElementById("resume").hidden = true;
    show(status, `Uploaded ${file.name}; processing it now.`, "ok");
    form.reset();
    await listStreams();
    await follow(streamId);
  } catch (error) {
    // A refused file is gone on the server: do not offer to resume it.
    if (error.status && error.status !== 0 && error.status !== 409) tus.forgetUpload();
    fail(error);
  } finally {
    button.disabled = false;
  }
});

function priceCell(stream) {
  const cell = document.createElement("td");
  const form = document.createElement("form");
  form.className = "price";
  const input = document.createElement("input");
  input.name = "price";
  input.inputMode = "decimal";
  input.pattern = "[0-9]+(\\.[0-9]+)?";
  input.required = true;
  input.defaultValue = stream.pricePerSecond ?? ""; // what is saved; `value` is what is typed
  input.dataset.stream = stream.id;
  input.setAttribute("aria-label", `Price of “${stream.title}” in tokens per second`);
  const save = document.createElement("button");
  save.textContent = "Set price";
  save.setAttribute("aria-label", `Set price of “${stream.title}”`);
  form.append(input, " ", save);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    alertBox.hidden = true;
    try {
      const { data } = await api(`/api/streams/${encodeURIComponent(stream.id)}`, {
        method: "PATCH",
        token,
        body: { pricePerSecond: input.value.trim() },
      });
      input.defaultValue = input.value = data.pricePerSecond;
      show(status, `“${data.title}” now costs ${data.pricePerSecond} tokens a second.`, "ok");
    } catch (error) {
      fail(error);
    }
  });
  cell.append(form);
  return cell;
}

async function listStreams() {
  const body = document.getElementById("streams");
  try {
    const { data } = await api("/api/streams?owner=me&limit=100", { token });
    // A price being typed survives the list being drawn again (a stream became ready meanwhile).
    const typing = new Map(
      [...body.querySelectorAll("input[data-stream]")]
        .filter((input) => input.value !== input.defaultValue)
        .map((input) => [input.dataset.stream, input.value]),
    );
    const focused = document.activeElement?.dataset?.stream;
    body.replaceChildren(
      ...data.items.map((stream) => {
        const row = document.createElement("tr");
        const title = document.createElement("td");
        if (stream.status === "ready") {
          const link = document.createElement("a");
          link.href = `/watch/?id=${encodeURIComponent(stream.id)}`;
          link.textContent = stream.title;
          title.append(link);
        } else {
          title.textContent = stream.title;
        }
        const state = document.createElement("td");
        state.textContent = stream.status === "processing" ? `processing ${Math.round(stream.progress ?? 0)} %` : stream.status;
        row.append(title, state, priceCell(stream));
        return row;
      }),
    );
    for (const input of body.querySelectorAll("input[data-stream]")) {
      if (typing.has(input.dataset.stream)) input.value = typing.get(input.dataset.stream);
      if (input.dataset.stream === focused) input.focus();
    }
  } catch (error) {
    fail(error);
  }
}

async function listEarnings() {
  const body = document.getElementById("received");
  try {
    const [{ data }, config] = await Promise.all([api("/api/payments/mine", { token }), paymentsConfig()]);
    document.getElementById("withdrawable").textContent = `${data.withdrawable} ${config.token.symbol}`;
    body.replaceChildren(
      ...data.received.map((stream) => {
        const row = document.createElement("tr");
        const cells = [`#${stream.id}`, stream.sender, `${stream.flowRate} ${config.token.symbol}/s`, `${stream.withdrawable} ${config.token.symbol}`];
        for (const text of cells) {
          const cell = document.createElement("td");
          cell.textContent = text;
          row.append(cell);
        }
        const action = document.createElement("td");
        if (stream.active && Number(stream.withdrawable) > 0) {
          const button = document.createElement("button");
          button.type = "button";
          button.textContent = "Withdraw";
          button.setAttribute("aria-label", `Withdraw from payment stream ${stream.id}`);
          button.addEventListener("click", () => withdraw(stream.id, config, button));
          action.append(button);
        } else {
          action.textContent = stream.active ? "nothing yet" : "ended (paid out)";
        }
        row.append(action);
        return row;
      }),
    );
  } catch (error) {
    document.getElementById("withdrawable").textContent = "unavailable";
    fail(error);
  }
}

async function withdraw(streamId, config, button) {
  alertBox.hidden = true;
  button.disabled = true;
  try {
    show(status, "Confirm the withdrawal in your wallet…");
    const { signer } = await connect({ expectedChainId: config.chainId, allowDemo: config.development });
    const amount = await withdrawAll(signer, streamId);
    show(status, `Withdrew ${tokens(amount, config.token.decimals)} ${config.token.symbol} from payment stream ${streamId}.`, "ok");
  } catch (error) {
    show(alertBox, reason(error), "error");
  } finally {
    button.disabled = false;
    await listEarnings();
  }
}

if (!token) {
  document.getElementById("signed-out").hidden = false;
} else {
  document.getElementById("studio").hidden = false;
  await Promise.all([resumeNotice(), listStreams(), setUpDemoChooser(document.getElementById("demo"), document.getElementById("demo-account"))]);
  // Loaded: screen readers (and anyone waiting on the page) hear that the list is complete.
  document.getElementById("studio").removeAttribute("aria-busy");
  listEarnings();
  const processing = localStorage.getItem(processingKey);
  if (processing) follow(processing);
}
