/**
 * The operator console (issue 11), mounted at /console: server-rendered pages over the same
 * operations as the API (../operations), for people rather than machines. Not behind the HMAC
 * middleware: its own sign-in (Cloudflare Access when configured, else the CONSOLE_TOKEN
 * exchanged for a signed session cookie), CSRF tokens on every form, and the rate limiter.
 */
import { type Context, Hono } from "hono";
import { deleteCookie } from "hono/cookie";
import { csrf } from "hono/csrf";
import { HTTPException } from "hono/http-exception";
import { secureHeaders } from "hono/secure-headers";
import { z } from "zod";
import { readManifest } from "../../../shared/bucket.ts";
import { keys } from "../../../shared/keys.ts";
import { clientKey } from "../caller.ts";
import { ApiError, type ErrorAnswer, errorAnswer } from "../errors.ts";
import { log } from "../log.ts";
import { rateLimit } from "../middleware/rate-limit.ts";
import { cleanup, clipJob, clipStatus, listProcessedClips, processClips, validClipId } from "../operations/clips.ts";
import { requestContext } from "../operations/context.ts";
import { health } from "../operations/health.ts";
import { getTask, listTasks } from "../operations/tasks.ts";
import { accessSettings } from "./access.ts";
import { tokenMatches } from "./auth.ts";
import { type ClipView, clipView } from "./clip-view.ts";
import { type ConsoleEnv, readForm, requireOperator, SESSION_COOKIE, startSession, text, wantsJson } from "./guard.ts";
import { serveObject } from "./media.ts";
import { CleanupPage } from "./pages/cleanup.tsx";
import { ClipPage } from "./pages/clip.tsx";
import { ErrorPage } from "./pages/error.tsx";
import { BASE } from "./pages/layout.tsx";
import { LoginPage } from "./pages/login.tsx";
import { OverviewPage } from "./pages/overview.tsx";
import { TaskPage } from "./pages/task.tsx";

/** Paths the console answers (the API middleware lets them through to it). */
export const isConsolePath = (path: string) => path === BASE || path.startsWith(`${BASE}/`);

/** Clips shown on the overview (one Durable Object call each). */
const RECENT_TASKS = 10;
const RECENT_CLIPS = 20;

const LoginForm = z.object({ token: text });
const checkbox = text.transform((raw) => raw === "true");
/** `ids` as typed (shown again beside an error), separated by spaces, commas or new lines. */
const SubmitForm = z.object({ ids: text, force: checkbox });
const CleanupForm = z.object({ confirm: checkbox });

export const consoleApp = new Hono<ConsoleEnv>();

/** What a failure tells the person at the console: the API's message (../errors.ts), never internals. */
function failure(error: Error, path: string): ErrorAnswer {
  if (error instanceof HTTPException && error.status === 403) {
    // hono/csrf: the form was posted from another origin.
    return { status: 403, detail: "This form was sent from another site, so it was refused.", headers: {} };
  }
  const answer = errorAnswer(error, { path });
  return answer.status === 500 ? { ...answer, detail: "Internal error: the Worker's log has the details." } : answer;
}

consoleApp.onError((error, c) => {
  const { status, detail: message, headers } = failure(error, c.req.path);
  if (wantsJson(c.req.path)) return c.json({ detail: message }, status, headers);
  return c.html(
    <ErrorPage status={status} message={message} csrf={c.var.csrf} who={c.var.session?.sub} />,
    status,
    headers,
  );
});

consoleApp.use("*", async (c, next) => {
  const secret = c.var.config.CONSOLE_TOKEN;
  if (!secret) {
    return c.text("The console is off: set the CONSOLE_TOKEN secret to turn it on.", 404);
  }
  c.set("secret", secret);
  await next();
});

consoleApp.use(
  "*",
  secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      mediaSrc: ["'self'"],
      imgSrc: ["'self'", "data:"],
      frameAncestors: ["'none'"],
      formAction: ["'self'"],
    },
    referrerPolicy: "same-origin",
  }),
);

/**
 * Rate limits: sign-in attempts count against the API's limit (a guessed token is as cheap as a
 * forged signature); pages and media against CONSOLE_RATE_LIMIT_REQUESTS, because one page with
 * a player and live progress makes many small requests. A separate key, so that browsing the
 * console never uses up the API's allowance of the same address.
 */
const signingIn = (c: Context) => c.req.method === "POST" && c.req.path === `${BASE}/login`;
consoleApp.use(
  "*",
  rateLimit({
    key: (c) => `${signingIn(c) ? "console-signin" : "console"}:${clientKey(c)}`,
    limit: (c) => (signingIn(c) ? c.var.config.RATE_LIMIT_REQUESTS : c.var.config.CONSOLE_RATE_LIMIT_REQUESTS),
  }),
);

// A sign-in form posted from another site is refused by its Origin (there is no session yet to
// bind a token to); every later form also carries the session's CSRF token.
consoleApp.use("*", csrf());

consoleApp.get("/login", (c) => {
  if (accessSettings(c.var.config)) return c.redirect(BASE, 303);
  return c.html(<LoginPage />);
});

consoleApp.post("/login", async (c) => {
  if (accessSettings(c.var.config)) throw new ApiError(404, "Sign-in is through Cloudflare Access here");
  const { token } = await readForm(c, LoginForm);
  if (!(await tokenMatches(token, c.var.secret))) {
    log("warn", { msg: "console sign-in refused", client: clientKey(c) });
    return c.html(<LoginPage error="That token is not the operator token. Check CONSOLE_TOKEN and try again." />, 401);
  }
  await startSession(c, "operator");
  return c.redirect(BASE, 303);
});

consoleApp.use("*", requireOperator());

consoleApp.post("/logout", (c) => {
  deleteCookie(c, SESSION_COOKIE, { path: BASE });
  return c.redirect(`${BASE}/login`, 303);
});

/** A clip's state as its job knows it (cheap: one Durable Object call), for lists and live views. */
async function jobView(env: Env, clipId: string): Promise<ClipView> {
  const job = await clipJob(env, clipId).getState();
  if (!job) return clipView({ clip_id: clipId, state: "not_found", progress: null, error: null }, null);
  return clipView(job, job.error_code);
}

async function recentClips(c: { env: Env; var: ConsoleEnv["Variables"] }) {
  const { tasks } = await listTasks(requestContext(c), RECENT_TASKS);
  const ids = [...new Set(tasks.flatMap((t) => t.clip_ids))].slice(0, RECENT_CLIPS);
  return { tasks, clips: await Promise.all(ids.map((id) => jobView(c.env, id))) };
}

async function overview(c: Context<ConsoleEnv>, submitError?: string, ids?: string) {
  const ctx = requestContext(c);
  const [recent, processed, status] = await Promise.all([
    recentClips(c),
    listProcessedClips(ctx, { limit: 50 }),
    health(ctx),
  ]);
  return (
    <OverviewPage
      csrf={c.var.csrf}
      who={c.var.session.sub}
      health={status}
      tasks={recent.tasks}
      recent={recent.clips}
      processed={processed.clips}
      submitError={submitError}
      submittedIds={ids}
    />
  );
}

consoleApp.get("/", async (c) => c.html(await overview(c)));

consoleApp.get("/recent/live", async (c) => c.json(await recentClips(c).then(({ clips }) => ({ clips }))));

consoleApp.post("/submit", async (c) => {
  const { ids, force } = await readForm(c, SubmitForm);
  try {
    const answer = await processClips(requestContext(c), {
      clip_ids: ids.split(/[\s,]+/).filter(Boolean),
      background: true,
      force,
    });
    return c.redirect(`${BASE}/tasks/${encodeURIComponent(answer.response.task_id ?? "")}`, 303);
  } catch (error) {
    // The API's own message (which ids are wrong and why), shown beside the form that sent them.
    if (error instanceof ApiError && error.status === 400) return c.html(await overview(c, error.message, ids), 400);
    throw error;
  }
});

consoleApp.get("/tasks/:id", async (c) => {
  const task = await getTask(requestContext(c), c.req.param("id"));
  const clips = await Promise.all(task.clip_ids.map((id) => jobView(c.env, id)));
  return c.html(<TaskPage csrf={c.var.csrf} who={c.var.session.sub} task={task} clips={clips} />);
});

consoleApp.get("/tasks/:id/live", async (c) => {
  const task = await getTask(requestContext(c), c.req.param("id"));
  const clips = await Promise.all(task.clip_ids.map((id) => jobView(c.env, id)));
  const { task_id, status, started_at, completed_at } = task;
  return c.json({ task: { task_id, status, started_at, completed_at }, clips });
});

async function clipDetails(c: Context<ConsoleEnv>) {
  const ctx = requestContext(c);
  const status = await clipStatus(ctx, c.req.param("id") ?? "");
  const [job, manifest] = await Promise.all([
    clipJob(c.env, status.clip_id).getState(),
    status.audio_processed ? readManifest(ctx.storage, status.clip_id) : Promise.resolve(null),
  ]);
  return { status, view: clipView(status, job?.error_code ?? null), manifest };
}

consoleApp.get("/clips/:id", async (c) => {
  const { status, view, manifest } = await clipDetails(c);
  return c.html(<ClipPage csrf={c.var.csrf} who={c.var.session.sub} status={status} view={view} manifest={manifest} />);
});

consoleApp.get("/clips/:id/live", async (c) => {
  const { view } = await clipDetails(c);
  return c.json({ clips: [view] });
});

/** The WAV, a chunk or the peaks, streamed from the bucket with Range support. */
async function media(c: Context<ConsoleEnv>, key: string) {
  const response = await serveObject(c.var.storage, key, c.req.header("range"));
  if (!response) throw new ApiError(404, `${key} is not in the bucket`);
  return response;
}

consoleApp.get("/clips/:id/audio", (c) => media(c, keys.wav(validClipId(c.req.param("id")))));
consoleApp.get("/clips/:id/peaks.json", (c) => media(c, keys.peaks(validClipId(c.req.param("id")))));
consoleApp.get("/clips/:id/chunks/:index{[0-9]{1,4}}", (c) =>
  media(c, keys.chunk(validClipId(c.req.param("id")), Number(c.req.param("index")))),
);

consoleApp.get("/clips/:id/cleanup", async (c) => {
  const { response } = await cleanup(requestContext(c), c.req.param("id"), { dryRun: true });
  return c.html(<CleanupPage csrf={c.var.csrf} who={c.var.session.sub} clipId={response.clip_id} result={response} />);
});

consoleApp.post("/clips/:id/cleanup", async (c) => {
  const { confirm } = await readForm(c, CleanupForm);
  const { status, response } = await cleanup(requestContext(c), c.req.param("id"), { dryRun: false, confirm });
  return c.html(
    <CleanupPage csrf={c.var.csrf} who={c.var.session.sub} clipId={response.clip_id} result={response} />,
    status,
  );
});
