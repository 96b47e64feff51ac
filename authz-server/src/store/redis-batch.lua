--[[
Palisade CounterStore batch: everything one or more Checks ask of the store, in one script call (redis-store.ts).
Every key it touches is in KEYS, and all of them carry the same hash tag, so the call works on Redis Cluster.

KEYS, in order:
  one key per rate-limit op;
  for each counter op: its keys (current bucket first);
  for each distinct op: its HyperLogLog key, then its count keys.
ARGV:
  [1] clock override in microseconds, '' = server time (redis TIME). Only tests set it.
  [2] R = number of rate-limit ops, [3] N = number of counter ops, [4] D = number of distinct ops
  then R x (T, capacity, cost): T = emission interval in µs, capacity = (requests + burst) * T (gcra.ts computes
    both, the same expressions as before they moved out of this script)
  then N x (number of keys, incr, ttlMs)
  then D x (member, ttlMs, number of count keys)
Returns a flat array of integers:
  nowUs; R x the TAT each rate-limit op saw (max(stored TAT, now), before the op); for each counter op its values;
  for each distinct op its counts. From a TAT, gcraUs() in gcra.ts derives the op's whole result (allowed,
  remaining, reset, retry-after): this script only decides and stores, gcra.ts explains.

The GCRA below must behave exactly as gcraUs() in gcra.ts (tests check that they agree on the same sequences):
integer microseconds, allowed iff max(TAT, now) + cost*T - now <= capacity; only allowed requests write; TTL =
resetMs. Ops on the same key apply in order; the key is read once and written once, after its last op.
]]

if redis.replicate_commands then redis.replicate_commands() end -- Redis 3.2-4: TIME before writes

local call = redis.call
local now
if ARGV[1] ~= '' then
  now = tonumber(ARGV[1])
else
  local t = call('TIME')
  now = t[1] * 1000000 + t[2]
end

local out = { now }
local n = 1 -- last index of out
local k = 1 -- next KEYS index
local a = 5 -- next ARGV index

local nrate, ncounter, ndistinct = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])

local tats = {} -- key -> TAT after the ops so far in this call (false = no state)
local dirty = {} -- key -> true once an op on it was allowed
local written = {} -- those keys, in order
local nwritten = 0
for _ = 1, nrate do
  local key = KEYS[k]
  local t, capacity, cost = tonumber(ARGV[a]), tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
  k = k + 1
  a = a + 3
  local tat = tats[key]
  if tat == nil then
    tat = tonumber(call('GET', key)) or false
    tats[key] = tat
  end
  if not tat or tat < now then tat = now end
  n = n + 1
  out[n] = tat
  local new_tat = tat + cost * t
  if new_tat - capacity <= now then
    if not dirty[key] then
      dirty[key] = true
      nwritten = nwritten + 1
      written[nwritten] = key
    end
    tats[key] = new_tat
  end
end
for i = 1, nwritten do
  local key = written[i]
  local new_tat = tats[key]
  local reset_ms = math.ceil((new_tat - now) / 1000)
  call('SET', key, new_tat, 'PX', math.max(1, reset_ms))
end

for _ = 1, ncounter do
  local nkeys, incr, ttl = tonumber(ARGV[a]), tonumber(ARGV[a + 1]), ARGV[a + 2]
  a = a + 3
  local first = KEYS[k]
  if incr ~= 0 then
    n = n + 1
    out[n] = call('INCRBY', first, ARGV[a - 2])
    call('PEXPIRE', first, ttl)
  else
    n = n + 1
    out[n] = tonumber(call('GET', first) or '0')
  end
  for j = 1, nkeys - 1 do
    n = n + 1
    out[n] = tonumber(call('GET', KEYS[k + j]) or '0')
  end
  k = k + nkeys
end

for _ = 1, ndistinct do
  local member, ttl, ncount = ARGV[a], ARGV[a + 1], tonumber(ARGV[a + 2])
  a = a + 3
  local key = KEYS[k]
  k = k + 1
  call('PFADD', key, member)
  call('PEXPIRE', key, ttl)
  for j = 0, ncount - 1 do
    n = n + 1
    out[n] = call('PFCOUNT', KEYS[k + j])
  end
  k = k + ncount
end

return out
