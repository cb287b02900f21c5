/**
 * The shared Face quota in Redis: one hash per Face resource holding each lane's tokens and the time they were
 * counted, and Face's pause (`pu` until, `pa` set at). Taking is a script: reading every lane, checking all of
 * them and charging all of them must happen at once, or two replicas could spend the same token.
 *
 * The key lives as long as the state means anything: until every lane would be full again (a missing key reads as
 * full lanes, so nothing is lost when it goes) or the pause ends, whichever is later, plus the usual grace.
 */
import type { Redis } from "ioredis";
import { z } from "zod";
import type { Clock } from "../../lib/clock.js";
import type { QuotaBucket, QuotaGrant, QuotaLane, QuotaPause } from "../quota-bucket.js";
import type { RedisKeys } from "./redis-keys.js";
import { defineScript } from "./redis-scripts.js";

/**
 * KEYS: the resource's hash. ARGV: now, then name, ratePerSec, burst, reserve per lane.
 * [1, 0, ""] when granted; [0, retryInMs, heldBy] when not (heldBy: a lane's name, or "pause").
 * Same arithmetic as MemoryQuotaBucket; numbers are stored with 17 significant digits so both agree exactly.
 */
const TAKE = `
local k = KEYS[1]
local now = tonumber(ARGV[1])
local pu = tonumber(redis.call('HGET', k, 'pu') or '') or 0
if now < pu then return { 0, math.ceil(pu - now), 'pause' } end
local pa = tonumber(redis.call('HGET', k, 'pa') or '') or -1
local lanes, worst, held, keep = {}, 0, '', 0
for i = 2, #ARGV, 4 do
  local name, burst, need = ARGV[i], tonumber(ARGV[i + 2]), 1 + tonumber(ARGV[i + 3])
  local interval = 1000 / tonumber(ARGV[i + 1])
  local t = tonumber(redis.call('HGET', k, name .. ':t') or '')
  local at = tonumber(redis.call('HGET', k, name .. ':at') or '')
  if t == nil or at == nil then
    if pa >= 0 then t, at = 0, pa else t, at = burst, now end
  end
  if at <= pa then t, at = 0, math.max(pa, pu - interval) end
  if now > at then t, at = math.min(burst, t + (now - at) / interval), now end
  local wait = (need - t) * interval
  if t + 1e-9 < need and wait > worst then worst, held = wait, name end
  if burst * interval > keep then keep = burst * interval end
  lanes[#lanes + 1] = { name, t, at }
end
if worst > 0 then return { 0, math.max(1, math.ceil(worst - 1e-6)), held } end
for _, lane in ipairs(lanes) do
  redis.call('HSET', k, lane[1] .. ':t', string.format('%.17g', lane[2] - 1), lane[1] .. ':at', string.format('%.17g', lane[3]))
end
expire(k, math.ceil(math.max(keep, pu - now)))
return { 1, 0, '' }
`;

/** KEYS: the resource's hash. ARGV: now, forMs. [1 when the pause grew, its end]. */
const PAUSE = `
local k = KEYS[1]
local now = tonumber(ARGV[1])
local untilAt = now + tonumber(ARGV[2])
local pu = tonumber(redis.call('HGET', k, 'pu') or '') or 0
if untilAt <= pu then return { 0, pu } end
redis.call('HSET', k, 'pu', untilAt, 'pa', now)
bump(k, untilAt - now)
return { 1, untilAt }
`;

const takeReply = z.tuple([z.number(), z.number(), z.string()]);
const pauseReply = z.tuple([z.number(), z.number()]);

export class RedisQuotaBucket implements QuotaBucket {
  private readonly takeScript;
  private readonly pauseScript;

  constructor(
    redis: Redis,
    private readonly keys: RedisKeys,
    private readonly clock: Clock,
  ) {
    this.takeScript = defineScript(redis, TAKE);
    this.pauseScript = defineScript(redis, PAUSE);
  }

  async take(resource: string, lanes: readonly QuotaLane[]): Promise<QuotaGrant> {
    const args = lanes.flatMap((lane) => [lane.name, lane.ratePerSec, lane.burst, lane.reserve ?? 0]);
    const [granted, retryInMs, heldBy] = takeReply.parse(await this.takeScript.run([this.keys.quota(resource)], [this.clock.now(), ...args]));
    return granted === 1 ? { granted: true } : { granted: false, retryInMs, heldBy };
  }

  async pause(resource: string, forMs: number): Promise<QuotaPause> {
    const [grew, until] = pauseReply.parse(await this.pauseScript.run([this.keys.quota(resource)], [this.clock.now(), Math.ceil(forMs)]));
    return { grew: grew === 1, until };
  }
}
