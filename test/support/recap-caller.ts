/**
 * The recap pipeline's Worker (paulchrisluke/pcl-labs, branch feature/ai-blog-generation,
 * clip-recap-pipeline/src/services/{security,scheduler}.ts) as a caller, for end-to-end tests:
 * how it signs, what it stores at clips/{id}.json. (It also waits a fixed 5 s between its POST
 * and its HEADs of audio/{id}.wav; the tests HEAD at once, which is stricter.) Written from
 * reading its code, not copied; this project's own signing code is deliberately not used.
 */

const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

const lowerHex = (bytes: ArrayBuffer | Uint8Array) =>
  Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");

/** 32 letters and digits from 32 random bytes. */
function nonce(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => ALPHANUMERIC[b % ALPHANUMERIC.length]).join("");
}

/**
 * Its headers: lowercase hex HMAC-SHA256 over body + timestamp + nonce, a fresh
 * `{ms}-{32 hex}` idempotency key, and `Content-Type: application/json` on every request,
 * GET and DELETE included.
 */
export async function callerHeaders(secret: string, body: string): Promise<Record<string, string>> {
  const timestamp = Math.floor(Date.now() / 1000).toString();
  const requestNonce = nonce();
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${body}${timestamp}${requestNonce}`));
  return {
    "Content-Type": "application/json",
    "X-Request-Signature": lowerHex(mac),
    "X-Request-Timestamp": timestamp,
    "X-Request-Nonce": requestNonce,
    "X-Idempotency-Key": `${Date.now()}-${lowerHex(crypto.getRandomValues(new Uint8Array(16)))}`,
  };
}

/** A Twitch Helix clip as the caller stores it at clips/{id}.json (`JSON.stringify`, plus `stored_at`). */
export function callerRecord(id: string): string {
  return JSON.stringify({
    id,
    url: `https://clips.twitch.tv/${id}`,
    embed_url: `https://clips.twitch.tv/embed?clip=${id}`,
    broadcaster_id: "123456",
    broadcaster_name: "paulchrisluke",
    creator_name: "a_viewer",
    title: "Fixed the bug on stream",
    view_count: 42,
    created_at: "2026-11-25T18:03:11Z",
    thumbnail_url: `https://clips-media-assets2.twitch.tv/${id}-preview-480x272.jpg`,
    duration: 6,
    stored_at: "2026-11-26T02:00:00.000Z",
  });
}
