// How the pages describe a stream (the API's stream JSON) in words.

export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined) return "";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
}

export function creatorName(stream) {
  const creator = stream.creator || {};
  if (creator.username) return creator.username;
  if (creator.wallet) return `${creator.wallet.slice(0, 6)}…${creator.wallet.slice(-4)}`;
  return "unknown creator";
}

export function priceText(stream, symbol = "tokens") {
  const price = stream.pricePerSecond;
  if (!stream.encrypted || price === undefined || price === null || Number(price) === 0) return "free";
  return `${price} ${symbol}/s`;
}

export function describeStream(stream, symbol) {
  return [`by ${creatorName(stream)}`, priceText(stream, symbol), formatDuration(stream.duration)].filter(Boolean).join(" · ");
}
