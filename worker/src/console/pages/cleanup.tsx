/** A clip's clean-up: the files that would go, a confirmation, then what was deleted. */
import type { CleanupResponse } from "../../../../shared/schemas.ts";
import { BASE, Layout } from "./layout.tsx";
import { Alert } from "./parts.tsx";

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
            <Alert>
              <strong>{result.failed_deletions.length} files could not be deleted.</strong>
              <p>Storage did not answer; try the clean-up again in a minute.</p>
            </Alert>
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
