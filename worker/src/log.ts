/** The Worker logs with the shared formatter (shared/log.ts), the same lines as the engine's. */
export { type LogLevel, log, setLogLevel } from "../../shared/log.ts";
