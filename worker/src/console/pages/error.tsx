/** What a failed request tells the person at the console: the status and the API's message. */
import { BASE, Layout } from "./layout.tsx";
import { Alert } from "./parts.tsx";

export function ErrorPage(props: { status: number; message: string; csrf?: string | undefined; who?: string }) {
  return (
    <Layout title={`Error ${props.status}`} csrf={props.csrf} who={props.who}>
      <h1>Something went wrong</h1>
      <Alert>
        <strong>
          {props.status}: {props.message}
        </strong>
      </Alert>
      <p>
        <a href={`${BASE}`}>Back to the overview</a>
      </p>
    </Layout>
  );
}
