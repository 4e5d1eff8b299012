/**
 * Verifying a yt-dlp release: its `SHA2-256SUMS` carries a detached OpenPGP signature
 * (`SHA2-256SUMS.sig`, made by `gpg --detach-sign` in yt-dlp's build workflow) by yt-dlp's
 * signing key, pinned here as container/yt-dlp-public.key. OpenPGP.js checks it in-process:
 * no keyring, no gpg in the image, the same code on the host and in the container.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { createMessage, type PublicKey, readKey, readSignature, verify } from "openpgp";
import { detectEnvironment } from "../../../shared/config.ts";

const PINNED_KEY_FILE = resolve(import.meta.dirname, "../../yt-dlp-public.key");
/** The pinned key's fingerprint: a replaced key file is refused, not trusted. */
export const YT_DLP_KEY_FINGERPRINT = "ac0cbbe6848d6a873464af4e57cf65933b5a7581";
/**
 * A test's own signing key (armored). Only tests and local stand-in release servers set it; the
 * Worker never forwards it to a container, and a production engine refuses it.
 */
export const TEST_KEY_VARIABLE = "YT_DLP_TEST_SIGNING_KEY";

export class VerificationError extends Error {}

let pinned: Promise<PublicKey> | null = null;

/** The key releases must be signed with: the pinned one, or a test's where one is injected. */
export function signingKey(env: NodeJS.ProcessEnv = process.env): Promise<PublicKey> {
  const injected = env[TEST_KEY_VARIABLE];
  if (injected) {
    if (detectEnvironment(env) === "production") {
      return Promise.reject(new VerificationError(`${TEST_KEY_VARIABLE} is refused in production`));
    }
    return readKey({ armoredKey: injected });
  }
  pinned ??= readKey({ armoredKey: readFileSync(PINNED_KEY_FILE, "utf8") }).then((key) => {
    if (key.getFingerprint() !== YT_DLP_KEY_FINGERPRINT) {
      throw new VerificationError(`container/yt-dlp-public.key is not yt-dlp's key ${YT_DLP_KEY_FINGERPRINT}`);
    }
    return key;
  });
  return pinned;
}

/** Resolves when `signature` is `key`'s valid signature of `sums`; else a VerificationError. */
export async function verifySums(sums: Uint8Array, signature: Uint8Array, key: PublicKey): Promise<void> {
  let verified: boolean;
  try {
    const result = await verify({
      message: await createMessage({ binary: sums }),
      signature: await readSignature({ binarySignature: signature }),
      verificationKeys: key,
      format: "binary",
    });
    const first = result.signatures[0];
    verified = first ? await first.verified : false;
  } catch (error) {
    throw new VerificationError(`SHA2-256SUMS.sig does not verify: ${(error as Error).message}`);
  }
  if (!verified) throw new VerificationError("SHA2-256SUMS.sig does not verify");
}

/** The checksum SHA2-256SUMS lists for `name` (`<hex>  <name>` lines), or null. */
export function listedChecksum(sums: Uint8Array, name: string): string | null {
  for (const line of Buffer.from(sums).toString("utf8").split("\n")) {
    const match = /^([0-9a-f]{64})\s+\*?(\S+)\s*$/i.exec(line.trim());
    if (match?.[2] === name) return (match[1] as string).toLowerCase();
  }
  return null;
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}
