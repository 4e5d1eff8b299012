/** The overview: the submit form, the service's health, recent tasks and what is in the bucket. */
import type { Health, Task } from "../../../../shared/schemas.ts";
import { ADVICE } from "../advice.ts";
import { ChannelFacts } from "../channel.tsx";
import type { ClipView } from "../clip-view.ts";
import { BASE, Layout } from "./layout.tsx";
import { Alert, Badge, ClipRows } from "./parts.tsx";

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
        <Alert>
          <strong>{problem}</strong>
        </Alert>
      ))}
      {extractor.yt_dlp_warning ? <div class="notice">{extractor.yt_dlp_warning}</div> : null}
      {extractor.state === "outdated" ? (
        <Alert>
          <strong>yt-dlp no longer reads Twitch{extractor.last_error ? `: ${extractor.last_error}` : ""}</strong>
          <p>{ADVICE.extractor_outdated}</p>
        </Alert>
      ) : null}
    </section>
  );
}

function SubmitForm(props: { csrf: string; error?: string | undefined; ids?: string | undefined }) {
  return (
    <section class="panel" id="submit" aria-labelledby="submit-title">
      <h2 id="submit-title">Submit clips</h2>
      {props.error ? (
        <Alert>
          <strong>{props.error}</strong>
        </Alert>
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

function RecentTasks(props: { tasks: Task[] }) {
  return (
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
  );
}

function ProcessedClips(props: { ids: string[] }) {
  return (
    <section aria-labelledby="bucket-title">
      <h2 id="bucket-title">Processed clips in the bucket</h2>
      {props.ids.length ? (
        <ul>
          {props.ids.map((id) => (
            <li>
              <a href={`${BASE}/clips/${encodeURIComponent(id)}`}>{id}</a>
            </li>
          ))}
        </ul>
      ) : (
        <p>None yet.</p>
      )}
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
      <RecentTasks tasks={props.tasks} />
      <ProcessedClips ids={props.processed} />
    </Layout>
  );
}
