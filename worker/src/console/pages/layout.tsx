/**
 * The frame of every console page (rendered on the server with Hono JSX, escaped by
 * construction): the header with the signed-in operator's navigation, the stylesheet and the one
 * script, both static assets (worker/public/console/assets, served by the platform).
 */
import type { Child } from "hono/jsx";
import { RESTING_STATES } from "../../../../shared/job-state.ts";

export const BASE = "/console";

export function Layout(props: { title: string; csrf?: string | undefined; who?: string | undefined; children: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · clip-audio console`}</title>
        <link rel="stylesheet" href={`${BASE}/assets/console.css`} />
        <link rel="stylesheet" href={`${BASE}/assets/player.css`} />
      </head>
      <body data-resting-states={RESTING_STATES.join(" ")}>
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
