/** Pieces more than one page shows: an alert, a state badge, a clip's failure, the table of clips. */
import type { Child } from "hono/jsx";
import { RESTING_STATES } from "../../../../shared/job-state.ts";
import type { ClipView } from "../clip-view.ts";
import { BASE } from "./layout.tsx";

/** A failure or refusal the page shows (announced to screen readers). */
export function Alert(props: { children: Child }) {
  return (
    <div class="error" role="alert">
      {props.children}
    </div>
  );
}

export const Badge = (props: { state: string; field?: string }) => (
  <span class={`badge state-${props.state}`} data-field={props.field}>
    {props.state}
  </span>
);

export function ClipError(props: { clip: ClipView }) {
  const { clip } = props;
  return (
    <Alert>
      <strong data-field="error">
        {clip.error_code ?? "error"}: {clip.error}
      </strong>
      <p data-field="advice">{clip.advice}</p>
    </Alert>
  );
}

export function ClipRows(props: { clips: ClipView[] }) {
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
