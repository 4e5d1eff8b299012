/**
 * yt-dlp's failures, as yt-dlp prints them, mapped to our error codes. Each stderr below is
 * real output, and says where it comes from:
 * - "2026.08.19, simulated Twitch answer": yt-dlp 2026.08.19's own CLI (source from its
 *   repository) run with no network, Twitch's GraphQL answer replaced by the one named;
 *   everything else (extractor, error formatting) is yt-dlp's code.
 * - "2026.08.19, loopback": the same CLI against a local HTTP server, or with no network at all.
 * - "source": the message as the named file builds it, when no run could produce it here.
 * The last tests run the installed yt-dlp for real (whatever version is on PATH).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RETRYABLE_CODES } from "../../shared/errors.ts";
import type { Source } from "../src/source.ts";
import { stderrTail } from "../src/subprocess.ts";
import { classifyYtDlp, fetchSourceInfo } from "../src/ytdlp.ts";

const REPORT =
  "please report this issue on  https://github.com/yt-dlp/yt-dlp/issues?q= , filling out the appropriate issue template. Confirm you are on the latest version using  yt-dlp -U";

/** What the engine sees: the classifier reads stderr's tail with URLs blanked. */
function classify(stderr: string) {
  return classifyYtDlp(stderrTail(stderr));
}

function retryable(stderr: string): boolean {
  const known = classify(stderr);
  if (!known) throw new Error(`not classified: ${stderr}`);
  return RETRYABLE_CODES.has(known.code);
}

describe("Twitch's answer changed: extractor_outdated, not retried", () => {
  it("a clip whose persisted query was retired (KeyError('data'), yt-dlp #14396, #16464, #17553)", () => {
    // 2026.08.19, simulated Twitch answer [{"errors":[{"message":"PersistedQueryNotFound"}]}]:
    // twitch.py reads `[0]['data']['clip']`; common.py's extract() turns the KeyError into this.
    const stderr = `ERROR: SomeClipSlug: An extractor error has occurred. (caused by KeyError('data')); ${REPORT}`;
    expect(classify(stderr)).toMatchObject({ code: "extractor_outdated" });
    expect(classify(stderr)?.message).toMatch(/update yt-dlp/i);
    expect(retryable(stderr)).toBe(false);
  });

  it("the same break in Debian's yt-dlp 2023.03.04 (simulated Twitch answer, PersistedQueryNotFound)", () => {
    // Byte for byte what 2026.08.19 prints: the issue titles' "PersistedQueryNotFound" itself
    // never reaches stderr, only the KeyError it causes.
    const stderr = `ERROR: SomeClipSlug: An extractor error has occurred. (caused by KeyError('data')); ${REPORT}`;
    expect(classify(stderr)).toMatchObject({ code: "extractor_outdated" });
  });

  it("a GQL answer that is no JSON (2026.08.19, simulated answer '<html>oops</html>')", () => {
    const stderr = `ERROR: [twitch:clips] SomeClipSlug: Failed to parse JSON (caused by JSONDecodeError("Expecting value in 'ops': line 1 column 1 (char 0)")); ${REPORT}`;
    expect(classify(stderr)).toMatchObject({ code: "extractor_outdated" });
  });

  it("a clip answer without renditions (2026.08.19, simulated answer with empty videoQualities)", () => {
    // twitch.py indexes `formats[-1]` unguarded; the IndexError reaches the CLI as is.
    expect(classify("ERROR: list index out of range")).toMatchObject({ code: "extractor_outdated" });
  });

  it("no formats at all (source: YoutubeDL.py raise_no_formats)", () => {
    const stderr = `ERROR: [twitch:clips] 12345: No video formats found!; ${REPORT}`;
    expect(classify(stderr)).toMatchObject({ code: "extractor_outdated" });
  });

  it("a page yt-dlp no longer understands (source: common.py _search_regex, RegexNotFoundError)", () => {
    const stderr = `ERROR: [twitch:clips] x: Unable to extract clip info; ${REPORT}`;
    expect(classify(stderr)).toMatchObject({ code: "extractor_outdated" });
  });
});

describe("the video is gone: not_found", () => {
  it("a deleted clip (2026.08.19, simulated answer {data: {clip: null}})", () => {
    const known = classify("ERROR: [twitch:clips] SomeClipSlug: This clip is no longer available");
    expect(known).toMatchObject({ code: "not_found" });
    expect(known?.message).toMatch(/deleted/);
  });

  it("a VOD with no video, which may also be a broken query (2026.08.19, simulated answers)", () => {
    // Printed alike for {data: {video: null}} (deleted) and for [{errors: [PersistedQueryNotFound]}]
    // (a retired query): twitch.py's traverse_obj finds no video either way. Both runs gave
    // exactly this line, so the message names both causes and what to do.
    const known = classify("ERROR: [twitch:vod] 2578729410: Video 2578729410 does not exist");
    expect(known).toMatchObject({ code: "not_found" });
    expect(known?.message).toMatch(/plays in a browser.*update yt-dlp/);
  });

  it("HTTP 404 (2026.08.19, loopback)", () => {
    const stderr =
      "ERROR: [generic] 404: Unable to download webpage: HTTP Error 404: Not Found (caused by <HTTPError 404: Not Found>)";
    expect(classify(stderr)).toMatchObject({ code: "not_found" });
  });

  it("HTTP 410 (2026.08.19, loopback)", () => {
    const stderr =
      "ERROR: [generic] 410: Unable to download webpage: HTTP Error 410: Gone (caused by <HTTPError 410: Gone>)";
    expect(classify(stderr)).toMatchObject({ code: "not_found" });
  });

  it("a 404 from the CDN during the download (source: YoutubeDL.py process_info)", () => {
    expect(classify("ERROR: unable to download video data: HTTP Error 404: Not Found")).toMatchObject({
      code: "not_found",
    });
  });

  it("no video at the address (2026.08.19, loopback: a page without video)", () => {
    expect(classify("ERROR: Unsupported URL: http://127.0.0.1:8999/page")).toMatchObject({ code: "not_found" });
    expect(classify("ERROR: No suitable extractor found for URL http://127.0.0.1:8999/page")).toMatchObject({
      code: "not_found",
    });
  });
});

describe("the video exists but is not for us: unavailable", () => {
  it("a subscriber-only VOD (2026.08.19, simulated usher 403 with error_code vod_manifest_restricted)", () => {
    const stderr =
      "ERROR: [twitch:vod] 2578729410: You must be logged into an account that has access to this subscriber-only content. Use --cookies, --cookies-from-browser, --username and --password, --netrc-cmd, or --netrc (twitch) to provide account credentials. See  https://github.com/yt-dlp/yt-dlp/wiki/FAQ#how-do-i-pass-cookies-to-yt-dlp  for how to manually pass cookies";
    const known = classify(stderr);
    expect(known).toMatchObject({ code: "unavailable" });
    expect(known?.message).toMatch(/subscriber-only/);
  });

  it("geo-blocked by Twitch's usher (2026.08.19, simulated usher 403 whose error_code names a geo block)", () => {
    // twitch.py prints any other usher error as `<error_code>: <error>`.
    expect(classify("ERROR: [twitch:vod] 2578729410: content_geoblocked: Forbidden")).toMatchObject({
      code: "unavailable",
    });
  });

  it("geo-blocked, yt-dlp's generic wording (source: common.py raise_geo_restricted, YoutubeDL.py)", () => {
    const stderr =
      "ERROR: [twitch:vod] 1: This video is not available from your location due to geo restriction\nYou might want to use a VPN or a proxy server (with --proxy) to workaround.";
    expect(classify(stderr)).toMatchObject({ code: "unavailable" });
  });

  it("login required, yt-dlp's default wording (source: common.py raise_login_required)", () => {
    const stderr = "ERROR: [twitch:vod] 1: This video is only available for registered users. Use --cookies, …";
    expect(classify(stderr)).toMatchObject({ code: "unavailable" });
  });

  it("DRM (source: YoutubeDL.py raise_no_formats)", () => {
    expect(classify("ERROR: [generic] x: This video is DRM protected")).toMatchObject({ code: "unavailable" });
  });

  it("HTTP 403 from the CDN (2026.08.19, loopback)", () => {
    const stderr =
      "ERROR: [generic] 403: Unable to download webpage: HTTP Error 403: Forbidden (caused by <HTTPError 403: Forbidden>)";
    expect(classify(stderr)).toMatchObject({ code: "unavailable" });
  });
});

describe("passing trouble: retried", () => {
  it("rate limited, HTTP 429 (2026.08.19, loopback)", () => {
    const stderr =
      "ERROR: [generic] 429: Unable to download webpage: HTTP Error 429: Too Many Requests (caused by <HTTPError 429: Too Many Requests>)";
    expect(classify(stderr)).toMatchObject({ code: "download_failed" });
    expect(classify(stderr)?.message).toMatch(/rate-limiting/);
    expect(retryable(stderr)).toBe(true);
  });

  it("a server error, HTTP 500 (2026.08.19, loopback)", () => {
    const stderr =
      "ERROR: [generic] 500: Unable to download webpage: HTTP Error 500: Internal Server Error (caused by <HTTPError 500: Internal Server Error>)";
    expect(classify(stderr)).toMatchObject({ code: "download_failed" });
  });

  it("offline: DNS fails, with requests installed (2026.08.19, no network)", () => {
    const stderr = `ERROR: [twitch:clips] SomeClipSlug: Unable to download JSON metadata: HTTPSConnection(host='gql.twitch.tv', port=443): Failed to resolve 'gql.twitch.tv' ([Errno -3] Temporary failure in name resolution) (caused by TransportError("HTTPSConnection(host='gql.twitch.tv', port=443): Failed to resolve 'gql.twitch.tv' ([Errno -3] Temporary failure in name resolution)"))`;
    const known = classify(stderr);
    expect(known).toMatchObject({ code: "download_failed" });
    expect(known?.message).toMatch(/network is unreachable/);
    expect(retryable(stderr)).toBe(true);
  });

  it("offline: DNS fails, Python without requests (2026.08.19, no network, Debian's python3)", () => {
    const stderr =
      "ERROR: [twitch:clips] SomeClip: Unable to download JSON metadata: [Errno -3] Temporary failure in name resolution (caused by TransportError('[Errno -3] Temporary failure in name resolution'))";
    expect(classify(stderr)?.message).toMatch(/network is unreachable/);
  });

  it("offline: DNS fails, Debian's yt-dlp 2023.03.04 (no network)", () => {
    const stderr =
      "ERROR: [twitch:clips] SomeClipSlug: Unable to download JSON metadata: <urlopen error [Errno -3] Temporary failure in name resolution> (caused by URLError(gaierror(-3, 'Temporary failure in name resolution')))";
    expect(classify(stderr)?.message).toMatch(/network is unreachable/);
  });

  it("an unknown host name (source: glibc's gai_strerror(EAI_NONAME), as urllib prints it)", () => {
    const stderr = "ERROR: [twitch:clips] x: Unable to download JSON metadata: [Errno -2] Name or service not known";
    expect(classify(stderr)?.message).toMatch(/network is unreachable/);
  });

  it("offline on Windows/macOS wording (source: Python's socket.gaierror texts)", () => {
    expect(classify("ERROR: x: Unable to download JSON metadata: [Errno 11001] getaddrinfo failed")?.code).toBe(
      "download_failed",
    );
    expect(classify("ERROR: x: [Errno 8] nodename nor servname provided, or not known")?.code).toBe("download_failed");
  });

  it("an untrusted TLS certificate, e.g. an intercepting proxy's (2026.08.19, loopback HTTPS, self-signed)", () => {
    const stderr = `ERROR: [generic] x: Unable to download webpage: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate (_ssl.c:1006) (caused by CertificateVerifyError('[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate (_ssl.c:1006)')); ${REPORT}`;
    const known = classify(stderr);
    expect(known).toMatchObject({ code: "download_failed" });
    expect(known?.message).toMatch(/install its CA/);
  });

  it("connection refused (2026.08.19, loopback)", () => {
    const stderr = `ERROR: [generic] x: Unable to download webpage: HTTPConnection(host='127.0.0.1', port=1): Failed to establish a new connection: [Errno 111] Connection refused (caused by TransportError("HTTPConnection(host='127.0.0.1', port=1): Failed to establish a new connection: [Errno 111] Connection refused"))`;
    expect(classify(stderr)).toMatchObject({ code: "download_failed" });
  });

  it("no route to the network (2026.08.19, a network namespace with only loopback)", () => {
    const stderr = `ERROR: [generic] x: Unable to download webpage: HTTPConnection(host='192.0.2.1', port=80): Failed to establish a new connection: [Errno 101] Network is unreachable (caused by TransportError("HTTPConnection(host='192.0.2.1', port=80): Failed to establish a new connection: [Errno 101] Network is unreachable"))`;
    expect(classify(stderr)).toMatchObject({ code: "download_failed" });
    expect(retryable(stderr)).toBe(true);
  });

  it("a connection reset (2026.08.19, loopback server that resets)", () => {
    const stderr = `ERROR: [generic] x: Unable to download webpage: ('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer')) (caused by TransportError("('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))"))`;
    expect(classify(stderr)).toMatchObject({ code: "download_failed" });
  });

  it("a connection cut mid-answer (source: common.py extract(), IncompleteRead)", () => {
    expect(
      classify(
        "ERROR: [twitch:clips] x: A network error has occurred. (caused by <IncompleteRead: 10 bytes read, 90 more expected>)",
      )?.code,
    ).toBe("download_failed");
  });

  it("a read timeout (2026.08.19, loopback server that never answers, --socket-timeout 2)", () => {
    const stderr = `ERROR: [generic] hang: Unable to download webpage: HTTPConnectionPool(host='127.0.0.1', port=8999): Read timed out. (read timeout=2.0) (caused by TransportError("HTTPConnectionPool(host='127.0.0.1', port=8999): Read timed out. (read timeout=2.0)"))`;
    expect(classify(stderr)).toMatchObject({ code: "timeout" });
    expect(retryable(stderr)).toBe(true);
  });

  it("a read timeout, Debian's yt-dlp 2023.03.04 (loopback)", () => {
    const stderr = `ERROR: [generic] None: Unable to download webpage: timed out (caused by TimeoutError('timed out')); ${REPORT}`;
    expect(classify(stderr)).toMatchObject({ code: "timeout" });
  });
});

it("anything else is left to the caller's fallback", () => {
  expect(classify("ERROR: something nobody has seen before")).toBeNull();
});

describe("the installed yt-dlp, run for real", () => {
  let server: Server;
  let base: string;
  const source = (path: string): Source => ({ id: "u-test", kind: "url", url: `${base}${path}`, range: null });
  const limits = { timeoutMs: 30_000 };

  beforeAll(async () => {
    server = createServer((req, res) => {
      res.writeHead(Number(req.url?.slice(1, 4)) || 200, { "content-type": "text/html" }).end("<html></html>");
    });
    server.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it.each([
    ["/404.mp4", "not_found"],
    ["/429.mp4", "download_failed"],
    ["/403.mp4", "unavailable"],
  ])("%s is %s", async (path, code) => {
    await expect(fetchSourceInfo(source(path), limits)).rejects.toMatchObject({ code });
  });

  it("a refused connection is a retryable download_failed", async () => {
    const refused: Source = { id: "u-test", kind: "url", url: "http://127.0.0.1:1/x.mp4", range: null };
    await expect(fetchSourceInfo(refused, limits)).rejects.toMatchObject({ code: "download_failed", retryable: true });
  });
});
