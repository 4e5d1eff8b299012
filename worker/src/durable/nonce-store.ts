/**
 * Remembers used nonces until their timestamp could no longer be accepted. Sharded by the
 * nonce's first two characters, so no single object sees every request; an alarm sweeps
 * expired entries.
 */
import { DurableObject } from "cloudflare:workers";

export class NonceStore extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS nonces (nonce TEXT PRIMARY KEY, expires_at INTEGER NOT NULL)");
  }

  /** True the first time `nonce` is claimed before it expires. */
  async claim(nonce: string, expiresAt: number, now = Date.now()): Promise<boolean> {
    const sql = this.ctx.storage.sql;
    const seen = sql.exec<{ expires_at: number }>("SELECT expires_at FROM nonces WHERE nonce = ?", nonce).toArray()[0];
    if (seen && seen.expires_at > now) return false;
    sql.exec("INSERT OR REPLACE INTO nonces (nonce, expires_at) VALUES (?, ?)", nonce, expiresAt);
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(expiresAt);
    return true;
  }

  /**
   * Forgets `nonce` if this claim (same expiry) is still the one stored: its request was refused
   * before it did anything (rate limit), so the caller may send it again, as if it never came.
   */
  async release(nonce: string, expiresAt: number): Promise<void> {
    this.ctx.storage.sql.exec("DELETE FROM nonces WHERE nonce = ? AND expires_at = ?", nonce, expiresAt);
  }

  override async alarm(): Promise<void> {
    const sql = this.ctx.storage.sql;
    sql.exec("DELETE FROM nonces WHERE expires_at <= ?", Date.now());
    const next = sql.exec<{ next: number | null }>("SELECT MIN(expires_at) AS next FROM nonces").toArray()[0]?.next;
    if (next) await this.ctx.storage.setAlarm(next);
  }
}
