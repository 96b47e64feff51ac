--[[
Palisade CounterStore batch: everything one or more Checks ask of the store, in one script call (redis-store.ts).
Every key it touches is in KEYS, and all of them carry the same hash tag, so the call works on Redis Cluster.

KEYS, in order:
  each rate-limit op's key, once (K distinct keys, in the order of their first op);
  for each counter op: its keys (current bucket first);
  for each distinct op: its HyperLogLog key, then its count keys;
  one key per sequence op, per record op, per hash read.
ARGV:
  [1] clock override in microseconds, '' = server time (redis TIME). Only tests set it.
  [2] one string, read with string.byte (no tonumber, whose strtod costs more than the rest of a small call):
    eight counts of 3 base-64 digits each ('0' + 0..63, most significant first): R = rate-limit ops, K = their
      distinct keys, P = distinct (T, capacity, cost) triples, N = counter ops, D = distinct ops, S = sequence
      ops, W = record ops, H = hash reads;
    then P x (T, capacity, cost), 9 base-64 digits each: T = emission interval in µs, capacity = (requests +
      burst) * T (gcra.ts computes both);
    then R x 6 digits: per rate-limit op, the 1-based index of its key in KEYS and of its triple, 3 each.
    (Merged Checks share keys and limits: each once, and no number parsing per op.)
  then N x (number of keys, incr, ttlMs)
  then D x (member ('' = only count), ttlMs, number of count keys)
  then S x (value, length, ttlMs, collapse 1|0)
  then W x (record, overflow, maxRecords, ttlMs, F = number of fields, F x (name, i|x|n, value))
Returns a flat array (integers, and the field names of hash reads):
  nowUs; R x the TAT the rate-limit op saw (max(stored TAT, now), before the op: gcraUs() in gcra.ts derives the
  op's allowed/remaining/reset/retry-after from it); for each counter op its values; for each distinct op
  its counts; for each sequence op (pushed 1|0, count, items...); for each record op 1 (own record) | 0 (overflow);
  for each hash read (P = number of pairs, P x (field, value)).

Records (record ops, hash reads): a hash holds records, each a marker field <record> plus fields <record>\t<name>;
the field \t# counts the records, so a new record beyond maxRecords goes to the overflow record instead.

The GCRA below must behave exactly as gcraUs() in gcra.ts (tests check that they agree on the same sequences):
integer microseconds, allowed iff max(TAT, now) + cost*T - now <= capacity; only allowed requests write; TTL =
resetMs. Ops on the same key apply in order; the keys are read once (one MGET) and each written once, after its
last op (keys in KEYS order). A rate-limit key holding another type reads as no state (MGET) and is replaced.
]]

if redis.replicate_commands then redis.replicate_commands() end -- Redis 3.2-4: TIME before writes

local now
if ARGV[1] ~= '' then
  now = tonumber(ARGV[1])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end

local out = { now }
local k = 1 -- next KEYS index
local a = 3 -- next ARGV index

local head, byte = ARGV[2], string.byte
-- The eight counts, 3 digits each, in one string.byte call (a Lua function per count costs more than this).
local c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16, c17, c18, c19, c20, c21, c22, c23, c24 = byte(head, 1, 24)
local nrate = ((c1 - 48) * 64 + c2 - 48) * 64 + c3 - 48
local nratekeys = ((c4 - 48) * 64 + c5 - 48) * 64 + c6 - 48
local nparams = ((c7 - 48) * 64 + c8 - 48) * 64 + c9 - 48
local ncounter = ((c10 - 48) * 64 + c11 - 48) * 64 + c12 - 48
local ndistinct = ((c13 - 48) * 64 + c14 - 48) * 64 + c15 - 48
local nsequence = ((c16 - 48) * 64 + c17 - 48) * 64 + c18 - 48
local nrecord = ((c19 - 48) * 64 + c20 - 48) * 64 + c21 - 48
local nread = ((c22 - 48) * 64 + c23 - 48) * 64 + c24 - 48

if nrate > 0 then
  -- Triple i is params[3i-2..3i] = T, capacity, cost. Each value is below 2^53, so every partial sum is exact.
  local params = {}
  local at = 25
  for j = 1, 3 * nparams do
    local d1, d2, d3, d4, d5, d6, d7, d8, d9 = byte(head, at, at + 8)
    params[j] = ((((((((d1 - 48) * 64 + d2 - 48) * 64 + d3 - 48) * 64 + d4 - 48) * 64 + d5 - 48) * 64 + d6 - 48) * 64 + d7 - 48) * 64 + d8 - 48) * 64 + d9 - 48
    at = at + 9
  end
  -- state[i]: the TAT key i held (false = no state, or not a finite TAT); once an op on it was allowed, minus its
  -- TAT after the ops so far (a TAT is never negative, so the sign marks the keys to write without a table of its
  -- own). One MGET for every key, not one GET each, its reply table reused; in slices beyond 1000 keys (unpack is
  -- bounded by Lua's C stack).
  local state
  if nratekeys <= 1000 then
    state = redis.call('MGET', unpack(KEYS, 1, nratekeys))
    for i = 1, nratekeys do
      local v = tonumber(state[i])
      state[i] = v and v >= 0 and v < math.huge and v
    end
  else
    state = {}
    for first = 1, nratekeys, 1000 do
      local last = math.min(nratekeys, first + 999)
      local slice = redis.call('MGET', unpack(KEYS, first, last))
      for i = first, last do
        local v = tonumber(slice[i - first + 1])
        state[i] = v and v >= 0 and v < math.huge and v
      end
    end
  end
  for i = 0, nrate - 1 do
    local k1, k2, k3, p1, p2, p3 = byte(head, at + 6 * i, at + 6 * i + 5)
    local ki = ((k1 - 48) * 64 + k2 - 48) * 64 + k3 - 48
    local pi = 3 * (((p1 - 48) * 64 + p2 - 48) * 64 + p3 - 48)
    local tat = state[ki]
    if not tat then
      tat = now
    elseif tat < 0 then
      tat = -tat
      if tat < now then tat = now end
    elseif tat < now then
      tat = now
    end
    out[i + 2] = tat
    local new_tat = tat + params[pi] * params[pi - 2]
    if new_tat - params[pi - 1] <= now then state[ki] = -new_tat end
  end
  for ki = 1, nratekeys do
    local new_tat = state[ki]
    if new_tat and new_tat < 0 then
      new_tat = -new_tat
      local reset_ms = math.ceil((new_tat - now) / 1000)
      -- Strings: Redis turns a Lua number argument into text with %.17g, which for a 16-digit TAT costs Redis
      -- more than Lua's integer format (bench/RESULTS.md); the stored text is the same.
      redis.call('SET', KEYS[ki], string.format('%d', new_tat), 'PX', string.format('%d', math.max(1, reset_ms)))
    end
  end
  k = nratekeys + 1
end

for _ = 1, ncounter do
  local nkeys, incr, ttl = tonumber(ARGV[a]), tonumber(ARGV[a + 1]), ARGV[a + 2]
  a = a + 3
  local first = KEYS[k]
  if incr ~= 0 then
    out[#out + 1] = redis.call('INCRBY', first, ARGV[a - 2])
    redis.call('PEXPIRE', first, ttl)
  else
    out[#out + 1] = tonumber(redis.call('GET', first) or '0')
  end
  for j = 1, nkeys - 1 do
    out[#out + 1] = tonumber(redis.call('GET', KEYS[k + j]) or '0')
  end
  k = k + nkeys
end

for _ = 1, ndistinct do
  local member, ttl, ncount = ARGV[a], ARGV[a + 1], tonumber(ARGV[a + 2])
  a = a + 3
  local key = KEYS[k]
  k = k + 1
  if member ~= '' then
    redis.call('PFADD', key, member)
    redis.call('PEXPIRE', key, ttl)
  end
  for j = 0, ncount - 1 do
    out[#out + 1] = redis.call('PFCOUNT', KEYS[k + j])
  end
  k = k + ncount
end

for _ = 1, nsequence do
  local key = KEYS[k]
  local value, length, ttl, collapse = ARGV[a], tonumber(ARGV[a + 1]), ARGV[a + 2], ARGV[a + 3]
  k = k + 1
  a = a + 4
  local pushed = 1
  if collapse == '1' and redis.call('LINDEX', key, 0) == value then
    pushed = 0
  else
    redis.call('LPUSH', key, value)
    redis.call('LTRIM', key, 0, length - 1)
  end
  redis.call('PEXPIRE', key, ttl)
  local behind = redis.call('LRANGE', key, 1, length - 1)
  out[#out + 1] = pushed
  out[#out + 1] = #behind
  for _, item in ipairs(behind) do
    out[#out + 1] = tonumber(item)
  end
end

local COUNT = '\t#'
for _ = 1, nrecord do
  local key = KEYS[k]
  local record, overflow, cap, ttl, nfields = ARGV[a], ARGV[a + 1], tonumber(ARGV[a + 2]), ARGV[a + 3], tonumber(ARGV[a + 4])
  k = k + 1
  a = a + 5
  local target = record
  if redis.call('HEXISTS', key, record) == 0 then
    if cap > 0 and tonumber(redis.call('HGET', key, COUNT) or '0') >= cap then
      target = overflow
      redis.call('HSETNX', key, overflow, 1)
    else
      redis.call('HSET', key, record, 1)
      redis.call('HINCRBY', key, COUNT, 1)
    end
  end
  for j = 0, nfields - 1 do
    local field = target .. '\t' .. ARGV[a + 3 * j]
    local op, v = ARGV[a + 3 * j + 1], ARGV[a + 3 * j + 2]
    if op == 'i' then
      redis.call('HINCRBY', key, field, v)
    else
      local cur = redis.call('HGET', key, field)
      if not cur or (op == 'x' and tonumber(v) > tonumber(cur)) or (op == 'n' and tonumber(v) < tonumber(cur)) then
        redis.call('HSET', key, field, v)
      end
    end
  end
  a = a + 3 * nfields
  redis.call('PEXPIRE', key, ttl)
  out[#out + 1] = (target == record) and 1 or 0
end

for _ = 1, nread do
  local flat = redis.call('HGETALL', KEYS[k])
  k = k + 1
  out[#out + 1] = #flat / 2
  for j = 1, #flat, 2 do
    out[#out + 1] = flat[j]
    out[#out + 1] = tonumber(flat[j + 1])
  end
end

return out
