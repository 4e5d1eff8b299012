// Types for scripts/yt-dlp-release.mjs (plain JavaScript, so that it runs on Node 20).
export interface Release {
  version: string;
  sha256: string;
}
export interface DownloadOptions {
  baseUrl?: string;
  connectTimeoutMs?: number;
  downloadTimeoutMs?: number;
}
export const RELEASE_BASE_URL: string;
export const CONNECT_TIMEOUT_MS: number;
export const DOWNLOAD_TIMEOUT_MS: number;
export function releaseFile(root: string): string;
export function localYtDlp(root: string): string;
export function readRelease(path: string): Release;
export function versionOf(command: string, env?: NodeJS.ProcessEnv): string | null;
export function ageDays(version: string | null, now?: Date): number | null;
export function downloadRelease(release: Release, dest: string, options?: DownloadOptions): Promise<void>;
export function installPinnedYtDlp(
  options: { root: string; download: boolean; log?: (line: string) => void } & DownloadOptions,
): Promise<boolean>;
export function fallbackWarning(options: { root: string; env?: NodeJS.ProcessEnv; now?: Date }): string[];
