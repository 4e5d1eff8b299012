/**
 * Request limits, in their own module: the Worker's main module may export only handlers and
 * classes (workerd refuses to start on any other export, e.g. a number, under `wrangler dev`).
 */

/**
 * Ten clip ids (or clip URLs) and a callback URL fit in about 3 KB; anything much bigger is
 * refused before it is read (an isolate has 128 MB, and the body would be read twice).
 */
export const MAX_BODY_BYTES = 16 * 1024;
