/**
 * The service's version, written once (package.json): the API document's `info.version` and the
 * engine's name in every manifest both read it.
 */
import pkg from "../package.json" with { type: "json" };

export const VERSION: string = pkg.version;
