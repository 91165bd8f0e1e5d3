/**
 * One decision is one script run (EVALSHA; ioredis falls back to EVAL once
 * per connection when Redis has not cached it). The steps are those of
 * `takeTokens` in @flotilla/core (packages/core/src/token-bucket.ts), and the
 * two must agree: the same policy has to decide the same way whichever store
 * holds its buckets. Time comes from `redis.call('TIME')`, so
 * gateways with skewed clocks still share one bucket correctly; Redis 7
 * replicates the script's effects, which allows TIME before the writes.
 *
 * KEYS[1]  the bucket (a hash: t = tokens, at = milliseconds)
 * ARGV     capacity, refill tokens per ms, cost, key TTL in ms
 * returns  { allowed 0|1, whole tokens left, ms until full, ms until a retry could pass }
 *
 * A refused take writes nothing: the stored tokens and time still give the
 * right answer later. The TTL is the time to refill from empty, after which
 * a missing key and a full bucket mean the same.
 */
export const TAKE_TOKENS_LUA = `
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + tonumber(clock[2]) / 1000
local saved = redis.call('HMGET', KEYS[1], 't', 'at')
local tokens = capacity
if saved[1] and saved[2] then
  tokens = math.min(capacity, tonumber(saved[1]) + math.max(0, now - tonumber(saved[2])) * rate)
end
local allowed = 0
local wait = 0
if tokens >= cost then
  allowed = 1
  tokens = tokens - cost
  redis.call('HSET', KEYS[1], 't', tostring(tokens), 'at', tostring(now))
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
else
  wait = math.ceil((cost - tokens) / rate)
end
return { allowed, math.floor(tokens), math.ceil((capacity - tokens) / rate), wait }
`;
