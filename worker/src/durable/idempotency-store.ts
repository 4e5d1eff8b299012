/**
 * One per X-Idempotency-Key: the first response to a signed POST, replayed for 24 h when the
 * same key comes with the same body. The same key with another body is refused.
 */
import { DurableObject } from "cloudflare:workers";

export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

export interface StoredResponse {
  bodyHash: string;
  status: number;
  body: string;
}

export class IdempotencyStore extends DurableObject<Env> {
  async get(): Promise<StoredResponse | null> {
    return (await this.ctx.storage.get<StoredResponse>("response")) ?? null;
  }

  async put(response: StoredResponse): Promise<void> {
    if (await this.ctx.storage.get("response")) return;
    await this.ctx.storage.put("response", response);
    await this.ctx.storage.setAlarm(Date.now() + IDEMPOTENCY_TTL_MS);
  }

  override async alarm(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }
}
