/// <reference lib="dom" />
/**
 * The operator console in a real browser: Debian's chromium (no browser download) driven by
 * playwright-core, against the whole service on this machine (wrangler dev, the engine process,
 * s3rver as a test double of S3, clips from the local fixture server: Twitch cannot be reached).
 * One walk through: sign in, submit a clip long enough to be cut into chunks, watch it complete,
 * play it, count the waveform's chunk regions against the manifest, seek, screenshot; then a
 * wrong token, a form without its CSRF token, and a clip that fails.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { AwsClient } from "aws4fetch";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, type Stack, startStack } from "../../scripts/stack.ts";
import { keys } from "../../shared/keys.ts";
import { Manifest } from "../../shared/schemas.ts";
import { contrastFailures } from "../support/contrast.ts";
import { type FixtureServer, startFixtureServer } from "../support/fixture-server.ts";
import { S3RVER_KEYS } from "../support/s3-credentials.ts";

/** Debian's package (`apt-get install -y chromium`); CHROMIUM_PATH overrides it. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const TOKEN = "e2e-console-token-0123456789";
/**
 * Where the clip page's screenshot goes: the git-ignored test cache, so a test run leaves the
 * tree clean. `CONSOLE_SCREENSHOT=docs/console.png` refreshes the README's picture.
 */
/** The other pages' screenshots, for a person checking how they look. */
const CACHE = resolve(import.meta.dirname, "../../.test-cache");
const SCREENSHOT = resolve(import.meta.dirname, "../..", process.env.CONSOLE_SCREENSHOT ?? ".test-cache/console.png");
let stack: Stack;
let fixtures: FixtureServer;
let dataDir: string;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  fixtures = await startFixtureServer();
  dataDir = await mkdtemp(join(tmpdir(), "clip-audio-console-"));
  const [worker, container, bucket, inspector] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  [stack, browser] = await Promise.all([
    startStack({
      ports: { worker, container, bucket, inspector },
      dataDir,
      env: {
        HMAC_SHARED_SECRET: "e2e-console-hmac-secret",
        CONSOLE_TOKEN: TOKEN,
        CLIP_SOURCE_URL_TEMPLATE: fixtures.clipTemplate,
        STORE_VIDEO: "false",
        DOWNLOAD_TIMEOUT_SECONDS: "20",
      },
    }),
    chromium.launch({ executablePath: CHROMIUM, args: ["--autoplay-policy=no-user-gesture-required"] }),
  ]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await fixtures?.close();
  await rm(dataDir, { recursive: true, force: true });
});

const bucket = () => new AwsClient({ ...S3RVER_KEYS, service: "s3", region: "auto" });

async function signedInPage(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${stack.urls.worker}/console`);
  await page.getByLabel("Operator token").fill(TOKEN);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Overview" }).waitFor();
  return page;
}

async function submit(page: Page, ids: string): Promise<void> {
  await page.goto(`${stack.urls.worker}/console`);
  await page.getByLabel("Clip ids or clip URLs").fill(ids);
  await page.getByRole("button", { name: "Submit", exact: true }).click();
  await page.waitForURL(/\/console\/tasks\//);
}

/** WCAG AA contrast of everything on the page (test/support/contrast.ts). */
const contrast = (page: Page) => page.evaluate<string[]>(`(${contrastFailures.toString()})()`);

const currentTime = (page: Page) =>
  page.evaluate(() => (document.getElementById("player") as HTMLAudioElement).currentTime);

describe("the console in chromium", () => {
  it("signs in, submits a clip, watches it complete, plays it, shows its chunks on the waveform, seeks", async () => {
    const page = await signedInPage();
    await submit(page, "long-console");
    // The task page follows the job live (no reload) until the task has ended.
    await page.locator('[data-field="task-status"]', { hasText: "completed" }).waitFor({ timeout: 90_000 });
    await expect(page.locator('[data-clip="long-console"] [data-field="state"]').textContent()).resolves.toBe(
      "completed",
    );
    await expect(page.locator('[data-field="task-ended"]').textContent()).resolves.toMatch(/^\d{4}-/);
    await page.screenshot({ path: join(CACHE, "console-task.png"), fullPage: true });

    const ranges: string[] = [];
    page.on("request", (request) => {
      if (request.url().endsWith("/clips/long-console/audio")) ranges.push(request.headers().range ?? "");
    });
    await page.getByRole("link", { name: "long-console" }).click();
    await page.locator('#waveform[data-ready="true"]').waitFor();

    const manifestResponse = await bucket().fetch(
      `${stack.urls.bucket}/clip-recap-pipeline/${keys.manifest("long-console")}`,
    );
    const manifest = Manifest.parse(await manifestResponse.json());
    expect(manifest.chunks.length).toBeGreaterThan(1);
    await expect(page.locator("#waveform .region").count()).resolves.toBe(manifest.chunks.length);
    await expect(page.locator("table.chunks audio").count()).resolves.toBe(manifest.chunks.length);

    // Play by keyboard: focus the waveform, Space.
    await page.locator("#waveform .track").focus();
    await page.keyboard.press("Space");
    await page.waitForFunction(() => (document.getElementById("player") as HTMLAudioElement).currentTime > 0.5);
    await page.keyboard.press("Space");
    // Seek: the last chunk's region (minutes in), then five seconds on with the arrow key.
    const last = manifest.chunks.at(-1) as Manifest["chunks"][number];
    expect(last.start_s).toBeGreaterThan(60);
    await page.locator("#waveform .region").last().click();
    await page.waitForFunction(
      (start) => (document.getElementById("player") as HTMLAudioElement).currentTime >= start,
      last.start_s,
    );
    expect(await currentTime(page)).toBeLessThan(last.start_s + 5);
    await page.locator("#waveform .track").focus();
    await page.evaluate(() => (document.getElementById("player") as HTMLAudioElement).pause());
    const paused = await currentTime(page);
    await page.keyboard.press("ArrowRight");
    await expect.poll(() => currentTime(page)).toBeGreaterThanOrEqual(paused + 4.9);
    // Seeking far into an 11 MB WAV asked the Worker for a byte range, not the whole file.
    expect(ranges.some((r) => /^bytes=[1-9]\d*-/.test(r))).toBe(true);

    expect(await contrast(page)).toEqual([]);
    await page.evaluate(() => window.scrollTo(0, 0));
    await mkdir(resolve(SCREENSHOT, ".."), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
    // The overview too, and the clean-up review.
    await page.goto(`${stack.urls.worker}/console`);
    await page.screenshot({ path: join(CACHE, "console-overview.png"), fullPage: true });
    expect(await contrast(page)).toEqual([]);
    await page.goto(`${stack.urls.worker}/console/clips/long-console/cleanup`);
    await expect(page.locator("form li").count()).resolves.toBe(manifest.files.length);
    await page.screenshot({ path: join(CACHE, "console-cleanup.png"), fullPage: true });
    expect(await contrast(page)).toEqual([]);
    await page.close();
  }, 150_000);

  it("gets its stylesheets and script from the platform's static assets, not the Worker", async () => {
    for (const [path, type] of [
      ["/console/assets/console.css", "text/css"],
      ["/console/assets/player.css", "text/css"],
      ["/console/assets/console.js", "text/javascript"],
    ] as const) {
      const response = await fetch(`${stack.urls.worker}${path}`);
      expect(response.status, path).toBe(200);
      expect(response.headers.get("content-type"), path).toContain(type);
      // worker/public/_headers; and no rate-limit count: the Worker did not run for it.
      expect(response.headers.get("x-content-type-options"), path).toBe("nosniff");
      expect(response.headers.get("cache-control"), path).toBe("public, max-age=300");
      expect(response.headers.get("ratelimit-limit"), path).toBeNull();
    }
    // Every other path is the Worker's, even one that names a file in the assets directory.
    expect((await fetch(`${stack.urls.worker}/_headers`)).headers.get("content-type")).toContain("application/json");
  });

  it("refuses a wrong token and stays on the sign-in page", async () => {
    const page = await browser.newPage();
    await page.goto(`${stack.urls.worker}/console`);
    await page.getByLabel("Operator token").fill("not-the-token");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("alert").textContent()).resolves.toContain("not the operator token");
    expect(page.url()).toMatch(/\/console\/login$/);
    expect(await contrast(page)).toEqual([]);
    await page.screenshot({ path: join(CACHE, "console-login.png"), fullPage: true });
    await page.goto(`${stack.urls.worker}/console`);
    expect(page.url()).toMatch(/\/console\/login$/);
    await page.close();
  });

  it("refuses a form whose CSRF token was taken away", async () => {
    const page = await signedInPage();
    await page.evaluate(() => {
      for (const input of document.querySelectorAll<HTMLInputElement>("#submit input[name=_csrf]"))
        input.value = "forged";
    });
    await page.getByLabel("Clip ids or clip URLs").fill("tone-csrf");
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith("/console/submit")),
      page.getByRole("button", { name: "Submit", exact: true }).click(),
    ]);
    expect(response.status()).toBe(403);
    await expect(page.getByRole("alert").textContent()).resolves.toContain("CSRF check failed");
    await page.screenshot({ path: join(CACHE, "console-error.png"), fullPage: true });
    await page.close();
  });

  it("submits by keyboard alone, and shows a failed clip with its error code and what to do", async () => {
    const page = await signedInPage();
    // From the top of the page: the skip link first, then through the header to the form.
    await page.keyboard.press("Tab");
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe("Skip to content");
    await page.keyboard.press("Enter");
    for (let i = 0; i < 20; i++) {
      if (await page.evaluate(() => document.activeElement?.id === "ids")) break;
      await page.keyboard.press("Tab");
    }
    await page.keyboard.type("missing-console");
    await page.keyboard.press("Tab"); // the "process again" box
    await page.keyboard.press("Tab"); // Submit
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/console\/tasks\//);
    const row = page.locator('[data-clip="missing-console"]');
    await row.locator('[data-field="state"]', { hasText: "failed" }).waitFor({ timeout: 60_000 });
    await expect(row.locator('[data-field="error"]').textContent()).resolves.toMatch(/^not_found: /);
    await expect(row.locator('[data-field="advice"]').textContent()).resolves.toContain("Twitch has no such clip");
    await page.getByRole("link", { name: "missing-console" }).click();
    await expect(page.getByRole("alert").textContent()).resolves.toContain("not_found");
    expect(await contrast(page)).toEqual([]);
    await page.screenshot({ path: join(CACHE, "console-failed.png"), fullPage: true });
    await page.close();
  });
});
