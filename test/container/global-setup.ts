/**
 * Starts what the container tier drives, once: the fixture media server and s3rver (a test
 * double of S3) on Docker's bridge gateway (172.17.0.1, where the container can reach them),
 * and `wrangler dev` with containers enabled and no CONTAINER_URL (scripts/stack.ts, engine
 * "docker"), which builds the image from the Dockerfile with the local base image and Debian's
 * yt-dlp (offline; see scripts/docker/). Hands the addresses to the tests with `provide`.
 */
import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { DOCKER_HOST_ADDRESS, freePort, type Stack, startStack } from "../../scripts/stack.ts";
import { startFixtureServer } from "../support/fixture-server.ts";

export const CONTAINER_TIER_SECRET = "container-tier-secret-0123456789";
/** Settings given to the Worker only; the tests check that the engine in Docker applies them. */
export const WORKER_SETTINGS = { MAX_CLIP_DURATION: "5", CHUNK_SECONDS: "5" } as const;

declare module "vitest" {
  export interface ProvidedContext {
    workerUrl: string;
    bucketUrl: string;
    bucketName: string;
    secret: string;
    s3Credentials: { accessKeyId: string; secretAccessKey: string };
    stackLog: string;
    fixtureUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dataDir = mkdtempSync(join(tmpdir(), "clip-audio-container-tier-"));
  const logPath = join(dataDir, "stack.log");
  const verbose = process.env.DEBUG_STACK === "1";
  console.log(`container tier: stack log in ${logPath}`);
  const fixtures = await startFixtureServer({ host: DOCKER_HOST_ADDRESS });
  const [worker, container, bucket, inspector] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  let stack: Stack | undefined;
  const started = Date.now();
  const timer = setTimeout(
    () => console.log("container tier: still starting (first image build takes minutes)"),
    60_000,
  );
  try {
    stack = await startStack({
      engine: "docker",
      offlineImage: true,
      ports: { worker, container, bucket, inspector },
      dataDir,
      env: {
        ENVIRONMENT: "test",
        HMAC_SHARED_SECRET: CONTAINER_TIER_SECRET,
        CLIP_SOURCE_URL_TEMPLATE: fixtures.clipTemplate,
        STORE_VIDEO: "false",
        // Long enough for the secrets test to look at the trickling download's subprocesses.
        DOWNLOAD_TIMEOUT_SECONDS: "120",
        // Short enough for the drain test to see the engine exit, long enough for its clip.
        DRAIN_SECONDS: "30",
        ...WORKER_SETTINGS,
      },
      log: (name, line) => {
        appendFileSync(logPath, `[${name}] ${line}\n`);
        if (verbose) console.log(`[${name}] ${line}`);
      },
    });
  } catch (error) {
    await fixtures.close();
    throw new Error(`the container tier's stack did not start (log: ${logPath}): ${(error as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
  console.log(`container tier: stack up in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  project.provide("workerUrl", stack.urls.worker);
  project.provide("bucketUrl", stack.urls.bucket);
  project.provide("bucketName", stack.env.R2_BUCKET ?? "clip-recap-pipeline");
  project.provide("secret", CONTAINER_TIER_SECRET);
  project.provide("s3Credentials", {
    accessKeyId: stack.env.R2_ACCESS_KEY_ID ?? "",
    secretAccessKey: stack.env.R2_SECRET_ACCESS_KEY ?? "",
  });
  project.provide("stackLog", logPath);
  project.provide("fixtureUrl", fixtures.url);

  return async () => {
    await stack?.stop();
    await fixtures.close();
    if (process.env.KEEP_STACK_LOG !== "1") rmSync(dataDir, { recursive: true, force: true });
  };
}
