/**
 * A stand-in for GitHub's release downloads of yt-dlp's repositories (GitHub cannot be reached
 * here), serving what the engine reads the way github.com does:
 *   GET /<owner>/<repo>/releases/latest/download/<asset>  302 → …/releases/download/<tag>/<asset>
 *   GET /<owner>/<repo>/releases/download/<tag>/<asset>    the asset's bytes
 * Releases are signed at test time with a key made for the run (`testSigningKey`), which tests
 * inject into the engine (YT_DLP_TEST_SIGNING_KEY); the production key is never used here.
 * `POST /_control/latest {repo, tag}` moves a repository's "latest" (for tests inside workerd).
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createMessage, generateKey, type PrivateKey, readPrivateKey, sign } from "openpgp";
import { sha256 } from "../../container/src/ytdlp-channel/signature.ts";

export interface SigningKey {
  armoredPublic: string;
  privateKey: PrivateKey;
}

/** A fresh OpenPGP key pair (Ed25519), made for one test run. */
export async function testSigningKey(name = "clip-audio test release key"): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKey({
    type: "curve25519",
    userIDs: [{ name }],
    format: "armored",
  });
  return { armoredPublic: publicKey, privateKey: await readPrivateKey({ armoredKey: privateKey }) };
}

export interface ReleaseOptions {
  /** Signs SHA2-256SUMS with this key instead (a forged signature). */
  forgedBy?: SigningKey;
  /** Lists this checksum for `yt-dlp` instead of the zipapp's (a checksum mismatch). */
  listedSha256?: string;
}

/** A release's assets: the zipapp, its SHA2-256SUMS (GNU format, as yt-dlp's) and the detached signature. */
export async function signedRelease(
  zipapp: Uint8Array,
  key: SigningKey,
  options: ReleaseOptions = {},
): Promise<Record<string, Uint8Array>> {
  const listed = options.listedSha256 ?? sha256(zipapp);
  const sums = Buffer.from(`${listed}  yt-dlp\n${sha256(Buffer.from("other"))}  yt-dlp.exe\n`);
  const signer = options.forgedBy ?? key;
  const signature = await sign({
    message: await createMessage({ binary: sums }),
    signingKeys: signer.privateKey,
    detached: true,
    format: "binary",
  });
  return { "yt-dlp": zipapp, "SHA2-256SUMS": sums, "SHA2-256SUMS.sig": signature as Uint8Array };
}

export interface ReleaseServer {
  url: string;
  publish(repo: string, tag: string, assets: Record<string, Uint8Array>, latest?: boolean): void;
  setLatest(repo: string, tag: string): void;
  /** Paths asked for, in order. */
  requests: string[];
  close(): Promise<void>;
}

export async function startReleaseServer(host = "127.0.0.1"): Promise<ReleaseServer> {
  const releases = new Map<string, Map<string, Record<string, Uint8Array>>>();
  const latest = new Map<string, string>();
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    requests.push(path);
    if (req.method === "POST" && path === "/_control/latest") {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
      req.on("end", () => {
        const { repo, tag } = JSON.parse(body) as { repo: string; tag: string };
        latest.set(repo, tag);
        res.writeHead(204).end();
      });
      return;
    }
    const match = /^\/([^/]+\/[^/]+)\/releases\/(?:latest\/download|download\/([^/]+))\/([^/]+)$/.exec(path);
    const repo = match?.[1] ?? "";
    const tag = match?.[2] ?? null;
    const asset = match?.[3] ?? "";
    if (match && tag === null) {
      const newest = latest.get(repo);
      if (!newest) return void res.writeHead(404).end("Not Found");
      res.writeHead(302, { location: `/${repo}/releases/download/${newest}/${asset}` }).end();
      return;
    }
    const bytes = tag ? releases.get(repo)?.get(tag)?.[asset] : undefined;
    if (!bytes) return void res.writeHead(404).end("Not Found");
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": bytes.byteLength });
    res.end(bytes);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    requests,
    publish(repo, tag, assets, makeLatest = true) {
      if (!releases.has(repo)) releases.set(repo, new Map());
      releases.get(repo)?.set(tag, assets);
      if (makeLatest) latest.set(repo, tag);
    },
    setLatest(repo, tag) {
      latest.set(repo, tag);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
