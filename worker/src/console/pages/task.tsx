/** A background task: when it ran, and its clips followed live until they are done. */
import type { Task } from "../../../../shared/schemas.ts";
import type { ClipView } from "../clip-view.ts";
import { BASE, Layout } from "./layout.tsx";
import { Badge, ClipRows } from "./parts.tsx";

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
