/** The sign-in form for the operator token (not shown when Cloudflare Access signs people in). */
import { BASE, Layout } from "./layout.tsx";
import { Alert } from "./parts.tsx";

export function LoginPage(props: { error?: string | undefined }) {
  return (
    <Layout title="Sign in">
      <h1>Sign in</h1>
      {props.error ? (
        <Alert>
          <strong>{props.error}</strong>
        </Alert>
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
