/**
 * scripts/docker/prune.sh on a dockerd shared by several checkouts: it removes only what this
 * checkout built (its label, which docker-for-wrangler.sh puts on every build), keeping the
 * newest engine image of this checkout as the next build's cache.
 *
 * No dockerd runs here (tests never start one), so `docker` is a stand-in on PATH, named as
 * such: it answers `images` from a list of images (repository:tag, id, label), applying
 * `--filter label=…` and the repository argument the way docker does, newest first, and writes
 * every command it gets to a log.
 */
import { realpathSync } from "node:fs";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const SCRIPTS = resolve(import.meta.dirname);
const THIS_CHECKOUT = `dev.clip-audio.checkout=${realpathSync(resolve(SCRIPTS, "../.."))}`;
const OTHER_CHECKOUT = "dev.clip-audio.checkout=/srv/someone-else/clip-audio";

/** Test stand-in for the docker CLI (see the top of this file). */
const DOCKER_STANDIN = `#!/usr/bin/env bash
# test stand-in for docker: logs its arguments, answers \`images\` from $STANDIN_IMAGES
echo "$*" >>"$STANDIN_LOG"
[ "$1" = images ] || exit 0
shift
label="" repo="" format="" quiet=false
while [ $# -gt 0 ]; do
  case "$1" in
    --filter) label="\${2#label=}"; shift 2 ;;
    --format) format="$2"; shift 2 ;;
    -q) quiet=true; shift ;;
    *) repo="$1"; shift ;;
  esac
done
while read -r ref id image_label; do
  [ -z "$label" ] || [ "$image_label" = "$label" ] || continue
  [ -z "$repo" ] || [ "\${ref%:*}" = "$repo" ] || continue
  if $quiet; then echo "$id"; else echo "$ref $id"; fi
done <"$STANDIN_IMAGES"
`;

let dir: string;
let env: Record<string, string>;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "clip-audio-prune-"));
  await writeFile(join(dir, "docker"), DOCKER_STANDIN);
  await chmod(join(dir, "docker"), 0o755);
  env = {
    PATH: `${dir}:${process.env.PATH}`,
    STANDIN_LOG: join(dir, "docker.log"),
    STANDIN_IMAGES: join(dir, "images"),
  };
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const commands = async () => (await readFile(env.STANDIN_LOG as string, "utf8")).trim().split("\n");

describe("prune.sh", () => {
  it("removes this checkout's older engine images only, never another checkout's or an unlabelled one", async () => {
    // Newest first, as `docker images` lists them.
    const images = [
      `cloudflare-dev/audioengine:other-new sha-o1 ${OTHER_CHECKOUT}`,
      `cloudflare-dev/audioengine:ours-new sha-a1 ${THIS_CHECKOUT}`,
      `cloudflare-dev/audioengine:other-old sha-o2 ${OTHER_CHECKOUT}`,
      `cloudflare-dev/audioengine:ours-mid sha-a2 ${THIS_CHECKOUT}`,
      "cloudflare-dev/audioengine:unlabelled sha-u1 -",
      `cloudflare-dev/audioengine:ours-old sha-a3 ${THIS_CHECKOUT}`,
      `clip-audio-base:bookworm-node22 sha-b1 ${THIS_CHECKOUT}`,
    ];
    await writeFile(env.STANDIN_IMAGES as string, `${images.join("\n")}\n`);
    const result = await execa(join(SCRIPTS, "prune.sh"), { env, reject: false });
    expect(result.exitCode, result.stderr).toBe(0);

    const log = await commands();
    const removed = log.filter((c) => c.startsWith("rmi ")).map((c) => c.slice(4));
    expect(removed).toEqual(["cloudflare-dev/audioengine:ours-mid", "cloudflare-dev/audioengine:ours-old"]);
    // Stopped containers and untagged images: this checkout's too, by the same label.
    expect(log).toContain(`container prune -f --filter label=${THIS_CHECKOUT}`);
    expect(log).toContain(`image prune -f --filter label=${THIS_CHECKOUT}`);
    expect(log.filter((c) => c.includes("prune") && !c.includes(THIS_CHECKOUT))).toEqual([]);
    expect(result.stdout).toBe("docker prune: 4 images of this checkout left");
  });

  it("removes nothing when this checkout has built no engine image yet", async () => {
    await writeFile(env.STANDIN_IMAGES as string, `cloudflare-dev/audioengine:x sha-o1 ${OTHER_CHECKOUT}\n`);
    const result = await execa(join(SCRIPTS, "prune.sh"), { env, reject: false });
    expect(result.exitCode, result.stderr).toBe(0);
    expect((await commands()).filter((c) => c.startsWith("rmi"))).toEqual([]);
  });
});

describe("docker-for-wrangler.sh build", () => {
  it("labels every image wrangler builds with this checkout, keeping wrangler's arguments but the buildx-only ones", async () => {
    const result = await execa(
      join(SCRIPTS, "docker-for-wrangler.sh"),
      [
        "build",
        "--load",
        "--platform",
        "linux/amd64",
        "--provenance=false",
        "-t",
        "cloudflare-dev/audioengine:abc",
        "-f",
        "-",
        ".",
      ],
      { env, reject: false, input: "" },
    );
    expect(result.exitCode, result.stderr).toBe(0);
    expect(await commands()).toEqual([
      `build --label ${THIS_CHECKOUT} --platform linux/amd64 -t cloudflare-dev/audioengine:abc -f - .`,
    ]);
  });
});
