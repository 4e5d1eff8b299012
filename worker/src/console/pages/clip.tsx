/** One clip: its state (live while it runs), metadata, clean-up, and the player with its chunks. */
import { RESTING_STATES } from "../../../../shared/job-state.ts";
import type { ClipStatus, Manifest } from "../../../../shared/schemas.ts";
import type { ClipView } from "../clip-view.ts";
import { BASE, Layout } from "./layout.tsx";
import { Listen, seconds } from "./listen.tsx";
import { Badge, ClipError } from "./parts.tsx";

/** The clip's state, followed live (and the page reloaded when it ends) while the job runs. */
function ClipState(props: { status: ClipStatus; view: ClipView; title: string; id: string }) {
  const { status } = props;
  const working = !RESTING_STATES.includes(status.state);
  return (
    <>
      <div
        data-live={working ? `${BASE}/clips/${props.id}/live` : undefined}
        data-reload-when-done={working ? "true" : undefined}
        data-clip={status.clip_id}
      >
        <h1>
          {props.title} <Badge state={status.state} field="state" />
        </h1>
        <p class="hint" data-field="live-status" aria-live="polite"></p>
        {working ? <progress max={100} value={status.progress ?? undefined} aria-label="Progress"></progress> : null}
        {status.state === "failed" ? <ClipError clip={props.view} /> : null}
      </div>
      {status.state === "not_found" ? (
        <p>
          Nothing is known of this clip: it was never processed, or it was cleaned up. Submit it from the{" "}
          <a href={`${BASE}#submit`}>overview</a>.
        </p>
      ) : null}
    </>
  );
}

function MetadataPanel(props: { status: ClipStatus; manifest: Manifest | null }) {
  const { status, manifest } = props;
  const meta = manifest?.source_metadata;
  return (
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
  );
}

function CleanupPanel(props: { id: string }) {
  return (
    <section class="panel" aria-labelledby="cleanup-title">
      <h2 id="cleanup-title">Clean up</h2>
      <p>Delete this clip's audio, chunks, manifest and video from the bucket (the caller's clip record stays).</p>
      <a class="button" href={`${BASE}/clips/${props.id}/cleanup`}>
        Review files to delete…
      </a>
    </section>
  );
}

export function ClipPage(props: {
  csrf: string;
  who: string;
  status: ClipStatus;
  view: ClipView;
  manifest: Manifest | null;
}) {
  const { status, manifest } = props;
  const id = encodeURIComponent(status.clip_id);
  return (
    <Layout title={`Clip ${status.clip_id}`} csrf={props.csrf} who={props.who}>
      <ClipState
        status={status}
        view={props.view}
        id={id}
        title={manifest?.source_metadata?.title ?? `Clip ${status.clip_id}`}
      />
      <div class="grid">
        <MetadataPanel status={status} manifest={manifest} />
        <CleanupPanel id={id} />
      </div>
      {manifest ? <Listen clipId={status.clip_id} manifest={manifest} /> : null}
    </Layout>
  );
}
