/** The console's view of the yt-dlp channel (worker/src/extractor-channel.ts), in the health panel. */
import type { Health } from "../../../shared/schemas.ts";

/** What runs (the pin or a promoted build, its age, why), and the last change and trial. */
export function ChannelFacts(props: { extractor: Health["extractor"] }) {
  const { build, last_change: change, last_trial: trial, policy } = props.extractor;
  const age = props.extractor.yt_dlp_age_days;
  return (
    <>
      <dt>yt-dlp channel</dt>
      <dd id="ytdlp-channel">
        {build
          ? `${build.channel} ${build.tag}, promoted ${build.promoted_at}: ${build.reason}`
          : "the image's pinned release"}
        {age !== null ? ` (${age} days old)` : ""}
        {policy ? `; EXTRACTOR_CHANNEL=${policy}` : ""}
      </dd>
      {change ? (
        <>
          <dt>Last {change.kind}</dt>
          <dd id="ytdlp-last-change">
            {change.channel} {change.tag} at {change.at}: {change.reason}
          </dd>
        </>
      ) : null}
      {trial ? (
        <>
          <dt>Last build tried</dt>
          <dd id="ytdlp-last-trial">
            {trial.channel} {trial.tag ?? "(none obtained)"} at {trial.at}: {trial.outcome}
            {trial.detail ? ` (${trial.detail})` : ""}
          </dd>
        </>
      ) : null}
    </>
  );
}
