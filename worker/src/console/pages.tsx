/**
 * The console's pages, rendered on the server with Hono JSX (escaped by construction). Each page
 * is a function of the data the route read; only live progress and the waveform run a script.
 */
import type { Child } from "hono/jsx";
import type { ErrorCode } from "../../../shared/errors.ts";
import { RESTING_STATES } from "../../../shared/job-state.ts";
import type { CleanupResponse, ClipStatus, Health, Manifest, Task } from "../../../shared/schemas.ts";
import { ADVICE } from "./advice.ts";
import { ChannelFacts } from "./channel.tsx";

export const BASE = "/console";

export interface ClipView {
  clip_id: string;
  state: ClipStatus["state"];
  progress: number | null;
  error: string | null;
  error_code: ErrorCode | null;
  advice: string | null;
}

function Layout(props: { title: string; csrf?: string | undefined; who?: string | undefined; children: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · clip-audio console`}</title>
        <link rel="stylesheet" href={`${BASE}/assets/console.css`} />
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="top">
          <a class="brand" href={`${BASE}`}>
            clip-audio console
          </a>
          {props.csrf ? (
            <>
              <nav aria-label="Main">
                <a href={`${BASE}`}>Overview</a>
                <a href={`${BASE}#submit`}>Submit clips</a>
                <a href={`${BASE}#health`}>Health</a>
              </nav>
              <span>{props.who}</span>
              <form method="post" action={`${BASE}/logout`}>
                <input type="hidden" name="_csrf" value={props.csrf} />
                <button type="submit">Sign out</button>
              </form>
            </>
          ) : null}
        </header>
        <main id="main">{props.children}</main>
        <script src={`${BASE}/assets/console.js`} defer></script>
      </body>
    </html>
  );
}

export function LoginPage(props: { error?: string | undefined }) {
  return (
    <Layout title="Sign in">
      <h1>Sign in</h1>
      {props.error ? (
        <div class="error" role="alert">
          <strong>{props.error}</strong>
        </div>
      ) : null}
      <form method="post" action={`${BASE}/login`} class="panel narrow">
        <div class="field">
          <label for="token">Operator token</label>
          <p class="hint" id="token-hint">
            The CONSOLE_TOKEN secret (<code>npm start</code> prints it locally).
          </p>
          <input
            type="password"
            id="token"
            name="token"
            autocomplete="current-password"
            required
            aria-describedby="token-hint"
          />
        </div>
        <button type="submit">Sign in</button>
      </form>
    </Layout>
  );
}

export function ErrorPage(props: { status: number; message: string; csrf?: string | undefined; who?: string }) {
  return (
    <Layout title={`Error ${props.status}`} csrf={props.csrf} who={props.who}>
      <h1>Something went wrong</h1>
      <div class="error" role="alert">
        <strong>
          {props.status}: {props.message}
        </strong>
      </div>
      <p>
        <a href={`${BASE}`}>Back to the overview</a>
      </p>
    </Layout>
  );
}

const Badge = (props: { state: string; field?: string }) => (
  <span class={`badge state-${props.state}`} data-field={props.field}>
    {props.state}
  </span>
);

function ClipError(props: { clip: ClipView }) {
  const { clip } = props;
  return (
    <div class="error" role="alert">
      <strong data-field="error">
        {clip.error_code ?? "error"}: {clip.error}
      </strong>
      <p data-field="advice">{clip.advice}</p>
    </div>
  );
}

function ClipRows(props: { clips: ClipView[] }) {
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">Clip</th>
          <th scope="col">State</th>
          <th scope="col">Progress</th>
          <th scope="col">Error and what to do</th>
        </tr>
      </thead>
      <tbody>
        {props.clips.map((clip) => (
          <tr data-clip={clip.clip_id}>
            <td>
              <a href={`${BASE}/clips/${encodeURIComponent(clip.clip_id)}`}>{clip.clip_id}</a>
            </td>
            <td>
              <Badge state={clip.state} field="state" />
            </td>
            <td>
              <progress
                max={100}
                value={clip.progress ?? undefined}
                hidden={RESTING_STATES.includes(clip.state)}
                aria-label={`Progress of ${clip.clip_id}`}
              ></progress>
            </td>
            <td>
              <span data-field="error">{clip.error ? `${clip.error_code}: ${clip.error}` : ""}</span>
              <br />
              <span class="hint" data-field="advice">
                {clip.advice ?? ""}
              </span>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function HealthPanel(props: { health: Health }) {
  const { health } = props;
  const extractor = health.extractor;
  return (
    <section class="panel" id="health" aria-labelledby="health-title">
      <h2 id="health-title">Health</h2>
      <dl class="facts">
        <dt>Service</dt>
        <dd>
          <Badge state={health.status} />
        </dd>
        <dt>Bucket (R2)</dt>
        <dd>{health.r2_configured ? "configured" : "NOT configured"}</dd>
        <dt>Engine</dt>
        <dd>
          <Badge state={health.container.state} /> ffmpeg {health.container.ffmpeg ?? "unknown"}, yt-dlp{" "}
          {health.container.yt_dlp ?? "unknown"}
        </dd>
        <dt>Extractor canary</dt>
        <dd>
          <Badge state={extractor.state} /> {extractor.summary}
          {extractor.since ? ` since ${extractor.since}` : ""}
          {extractor.checked_at ? ` (checked ${extractor.checked_at})` : ""}
        </dd>
        <ChannelFacts extractor={extractor} />
      </dl>
      {health.problems.map((problem) => (
        <div class="error" role="alert">
          <strong>{problem}</strong>
        </div>
      ))}
      {extractor.yt_dlp_warning ? <div class="notice">{extractor.yt_dlp_warning}</div> : null}
      {extractor.state === "outdated" ? (
        <div class="error" role="alert">
          <strong>yt-dlp no longer reads Twitch{extractor.last_error ? `: ${extractor.last_error}` : ""}</strong>
          <p>{ADVICE.extractor_outdated}</p>
        </div>
      ) : null}
    </section>
  );
}

export function SubmitForm(props: { csrf: string; error?: string | undefined; ids?: string | undefined }) {
  return (
    <section class="panel" id="submit" aria-labelledby="submit-title">
      <h2 id="submit-title">Submit clips</h2>
      {props.error ? (
        <div class="error" role="alert">
          <strong>{props.error}</strong>
        </div>
      ) : null}
      <form method="post" action={`${BASE}/submit`}>
        <input type="hidden" name="_csrf" value={props.csrf} />
        <div class="field">
          <label for="ids">Clip ids or clip URLs</label>
          <p class="hint" id="ids-hint">
            One per line (up to 10). They are processed in the background; you will see their progress. VODs and VOD
            ranges are not taken by the API (clips only): use the command line, <code>npm run cli -- process</code>.
          </p>
          <textarea id="ids" name="ids" rows={4} required aria-describedby="ids-hint">
            {props.ids ?? ""}
          </textarea>
        </div>
        <div class="field">
          <input type="checkbox" id="force" name="force" value="true" />{" "}
          <label for="force">Process again even if done</label>
        </div>
        <button type="submit">Submit</button>
      </form>
    </section>
  );
}

export function OverviewPage(props: {
  csrf: string;
  who: string;
  health: Health;
  tasks: Task[];
  recent: ClipView[];
  processed: string[];
  submitError?: string | undefined;
  submittedIds?: string | undefined;
}) {
  return (
    <Layout title="Overview" csrf={props.csrf} who={props.who}>
      <h1>Overview</h1>
      <div class="grid">
        <SubmitForm csrf={props.csrf} error={props.submitError} ids={props.submittedIds} />
        <HealthPanel health={props.health} />
      </div>
      <section aria-labelledby="recent-title" data-live={`${BASE}/recent/live`}>
        <h2 id="recent-title">Clips of recent tasks</h2>
        <p class="hint" data-field="live-status" aria-live="polite"></p>
        {props.recent.length ? <ClipRows clips={props.recent} /> : <p>No background tasks yet.</p>}
      </section>
      <section aria-labelledby="tasks-title">
        <h2 id="tasks-title">Recent tasks</h2>
        {props.tasks.length ? (
          <table>
            <thead>
              <tr>
                <th scope="col">Task</th>
                <th scope="col">Status</th>
                <th scope="col">Clips</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {props.tasks.map((task) => (
                <tr>
                  <td>
                    <a href={`${BASE}/tasks/${encodeURIComponent(task.task_id)}`}>{task.task_id}</a>
                  </td>
                  <td>
                    <Badge state={task.status} />
                  </td>
                  <td>{task.clip_ids.join(", ")}</td>
                  <td>{task.created_at}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p>No tasks.</p>
        )}
      </section>
      <section aria-labelledby="bucket-title">
        <h2 id="bucket-title">Processed clips in the bucket</h2>
        {props.processed.length ? (
          <ul>
            {props.processed.map((id) => (
              <li>
                <a href={`${BASE}/clips/${encodeURIComponent(id)}`}>{id}</a>
              </li>
            ))}
          </ul>
        ) : (
          <p>None yet.</p>
        )}
      </section>
    </Layout>
  );
}

export function TaskPage(props: { csrf: string; who: string; task: Task; clips: ClipView[] }) {
  const { task } = props;
  return (
    <Layout title={`Task ${task.task_id}`} csrf={props.csrf} who={props.who}>
      <div data-live={`${BASE}/tasks/${encodeURIComponent(task.task_id)}/live`}>
        <h1>
          Task <code>{task.task_id}</code> <Badge state={task.status} field="task-status" />
        </h1>
        <p class="hint" data-field="live-status" aria-live="polite"></p>
        <dl class="facts">
          <dt>Created</dt>
          <dd>{task.created_at}</dd>
          <dt>Started</dt>
          <dd data-field="task-started">{task.started_at ?? "not yet"}</dd>
          <dt>Ended</dt>
          <dd data-field="task-ended">{task.completed_at ?? "not yet"}</dd>
        </dl>
        <h2>Clips</h2>
        <ClipRows clips={props.clips} />
      </div>
    </Layout>
  );
}

const seconds = (s: number) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, "0")}`;

export function ClipPage(props: {
  csrf: string;
  who: string;
  status: ClipStatus;
  view: ClipView;
  manifest: Manifest | null;
}) {
  const { status, manifest, view } = props;
  const id = encodeURIComponent(status.clip_id);
  const meta = manifest?.source_metadata;
  const working = !RESTING_STATES.includes(status.state);
  return (
    <Layout title={`Clip ${status.clip_id}`} csrf={props.csrf} who={props.who}>
      <div
        data-live={working ? `${BASE}/clips/${id}/live` : undefined}
        data-reload-when-done={working ? "true" : undefined}
        data-clip={status.clip_id}
      >
        <h1>
          {meta?.title ?? `Clip ${status.clip_id}`} <Badge state={status.state} field="state" />
        </h1>
        <p class="hint" data-field="live-status" aria-live="polite"></p>
        {working ? <progress max={100} value={status.progress ?? undefined} aria-label="Progress"></progress> : null}
        {status.state === "failed" ? <ClipError clip={view} /> : null}
      </div>
      {status.state === "not_found" ? (
        <p>
          Nothing is known of this clip: it was never processed, or it was cleaned up. Submit it from the{" "}
          <a href={`${BASE}#submit`}>overview</a>.
        </p>
      ) : null}
      <div class="grid">
        <section class="panel" aria-labelledby="meta-title">
          <h2 id="meta-title">Metadata</h2>
          <dl class="facts">
            <dt>Clip id</dt>
            <dd>{status.clip_id}</dd>
            <dt>Title</dt>
            <dd>{meta?.title ?? "unknown"}</dd>
            <dt>Broadcaster</dt>
            <dd>{meta?.broadcaster ?? "unknown"}</dd>
            <dt>Duration</dt>
            <dd>{manifest ? `${seconds(manifest.duration_s)} (${manifest.duration_s.toFixed(2)} s)` : "unknown"}</dd>
            <dt>Source</dt>
            <dd>
              {manifest && /^https?:\/\//.test(manifest.source.url) ? (
                <a href={manifest.source.url}>{manifest.source.url}</a>
              ) : (
                (manifest?.source.url ?? "unknown")
              )}
            </dd>
            <dt>Processed</dt>
            <dd>{manifest?.processed_at ?? "not yet"}</dd>
            <dt>Transcript</dt>
            <dd>{status.transcript_ready ? "ready" : "not yet"}</dd>
          </dl>
        </section>
        <section class="panel" aria-labelledby="cleanup-title">
          <h2 id="cleanup-title">Clean up</h2>
          <p>Delete this clip's audio, chunks, manifest and video from the bucket (the caller's clip record stays).</p>
          <a class="button" href={`${BASE}/clips/${id}/cleanup`}>
            Review files to delete…
          </a>
        </section>
      </div>
      {manifest ? (
        <section aria-labelledby="listen-title">
          <h2 id="listen-title">Listen</h2>
          {/* biome-ignore lint/a11y/useMediaCaption: speech audio before its transcript exists; there is nothing to caption yet */}
          <audio id="player" controls preload="metadata" src={`${BASE}/clips/${id}/audio`}></audio>
          <div
            class="waveform"
            id="waveform"
            data-audio="player"
            data-note="waveform-note"
            data-duration={String(manifest.duration_s)}
            data-peaks={`${BASE}/clips/${id}/peaks.json`}
            data-chunks={JSON.stringify(manifest.chunks)}
          >
            <div
              class="track"
              tabIndex={0}
              role="slider"
              aria-label="Position: arrow keys seek 5 s (with Shift 30 s), Space plays or pauses"
              aria-valuemin={0}
              aria-valuemax={Math.round(manifest.duration_s)}
              aria-valuenow={0}
            >
              <canvas></canvas>
              <div class="cursor"></div>
            </div>
          </div>
          <p class="hint" id="waveform-note" aria-live="polite"></p>
          <h2>Chunks</h2>
          {manifest.chunks.length ? (
            <table class="chunks">
              <thead>
                <tr>
                  <th scope="col">Chunk</th>
                  <th scope="col">Starts</th>
                  <th scope="col">Length</th>
                  <th scope="col">Play</th>
                </tr>
              </thead>
              <tbody>
                {manifest.chunks.map((chunk) => (
                  <tr>
                    <td>{chunk.index}</td>
                    <td>{seconds(chunk.start_s)}</td>
                    <td>{chunk.duration_s.toFixed(1)} s</td>
                    <td>
                      {/* biome-ignore lint/a11y/useMediaCaption: a chunk of the audio above, not yet transcribed */}
                      <audio
                        controls
                        preload="none"
                        aria-label={`Chunk ${chunk.index}`}
                        src={`${BASE}/clips/${id}/chunks/${chunk.index}`}
                      ></audio>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p>
              One piece: the clip is shorter than MAX_CLIP_DURATION, so it was not cut (the waveform has no chunk
              regions).
            </p>
          )}
          <details>
            <summary>Manifest (audio/{status.clip_id}.json)</summary>
            <pre>{JSON.stringify(manifest, null, 2)}</pre>
          </details>
        </section>
      ) : null}
    </Layout>
  );
}

export function CleanupPage(props: { csrf: string; who: string; clipId: string; result: CleanupResponse }) {
  const { result } = props;
  const id = encodeURIComponent(props.clipId);
  const done = !result.dry_run;
  return (
    <Layout title={`Clean up ${props.clipId}`} csrf={props.csrf} who={props.who}>
      <h1>
        Clean up <a href={`${BASE}/clips/${id}`}>{props.clipId}</a>
      </h1>
      <p role="status">
        {done
          ? result.message
          : result.files_to_delete.length
            ? "Nothing is deleted until you confirm below."
            : result.message}
      </p>
      {done ? (
        <>
          <h2>Deleted</h2>
          <ul>
            {result.deleted_files.map((f) => (
              <li>{f}</li>
            ))}
          </ul>
          {result.failed_deletions.length ? (
            <div class="error" role="alert">
              <strong>{result.failed_deletions.length} files could not be deleted.</strong>
              <p>Storage did not answer; try the clean-up again in a minute.</p>
            </div>
          ) : null}
        </>
      ) : result.files_to_delete.length ? (
        <form method="post" action={`${BASE}/clips/${id}/cleanup`} class="panel">
          <input type="hidden" name="_csrf" value={props.csrf} />
          <h2>These {result.files_to_delete.length} files will be deleted</h2>
          <ul>
            {result.files_to_delete.map((f) => (
              <li>{f}</li>
            ))}
          </ul>
          <div class="field">
            <input type="checkbox" id="confirm" name="confirm" value="true" required />{" "}
            <label for="confirm">I understand that these files are deleted for good</label>
          </div>
          <button type="submit" class="danger">
            Delete {result.files_to_delete.length} files
          </button>
        </form>
      ) : null}
    </Layout>
  );
}

/** The view of a clip the pages and their live JSON share. */
export function clipView(
  status: Pick<ClipStatus, "clip_id" | "state" | "progress" | "error">,
  errorCode: ErrorCode | null,
): ClipView {
  const failed = status.state === "failed";
  return {
    clip_id: status.clip_id,
    state: status.state,
    progress: status.progress,
    error: failed ? status.error : null,
    error_code: failed ? errorCode : null,
    advice: failed && errorCode ? ADVICE[errorCode] : null,
  };
}
