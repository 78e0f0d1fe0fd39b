-- Applies one partition batch of a Redis projection. Redis runs a script with nothing
-- interleaved, so the checkpoint read, the writes and the checkpoint write are one unit:
-- a worker that lost its partition in a rebalance cannot interleave with the new owner.
-- Redis does not roll a script back if it fails half-way; the version guards of the ops
-- make the retry of such a batch harmless.
--
-- KEYS[1]     the topic's checkpoints hash (field = partition, value = offset)
-- KEYS[2]     the topic's source-times hash (field = partition, value = ms since the epoch)
-- KEYS[3..n]  every key the ops write, declared as Redis asks of scripts
-- ARGV[1]     partition
-- ARGV[2]     lastOffset: recorded as the checkpoint unless it would move it backwards
-- ARGV[3]     one MessagePack array (unpacked into OPS) holding, per event in offset order:
--             offset, op count, then each op (see encodeBatch in redisOps.ts; # = a number):
--               h #keyIndex version #setCount #deleteCount (field value)* field*
--               j #keyIndex field version #propertyCount (property jsonFragment)*
--               z #keyIndex score member
-- ARGV[4]     the checkpoint the worker expects before this batch: an offset, 'none' for no
--             checkpoint yet, or '' to skip the check
-- ARGV[5]     when the change at lastOffset happened (ms since the epoch), written with the
--             checkpoint when it advances; '' when unknown
-- Returns {events applied, events skipped as already applied, ops skipped as stale}, or
-- {'mismatch', stored checkpoint or ''} without writing anything when ARGV[4] disagrees: the
-- store lost its last writes (AOF fsyncs once a second) or another worker moved it, and
-- applying on top of a lost range would leave a hole the offsets could no longer show.

local VERSION = 'version'
local OPS = cmsgpack.unpack(ARGV[3])

-- Kafka offsets are decimal strings without leading zeros; compared as text they keep
-- their full 64-bit precision, which Lua numbers (doubles) would not.
local function offsetAfter(a, b)
  if #a ~= #b then return #a > #b end
  return a > b
end

local function isNewer(version, stored)
  return stored == nil or tonumber(version) > stored
end

-- cjson prints numbers with 14 significant digits; integers are written exactly instead
-- (epoch milliseconds and cents must survive a merge unchanged).
local function encodeScalar(value)
  if type(value) == 'number' and value == math.floor(value) and math.abs(value) < 2 ^ 53 then
    return string.format('%d', value)
  end
  if type(value) == 'number' then return string.format('%.17g', value) end
  return cjson.encode(value)
end

-- fields: OPS[at..] holds setCount field/value pairs, then deleteCount field names.
local function hsetIfNewer(key, version, setCount, deleteCount, at)
  if not isNewer(version, tonumber(redis.call('HGET', key, VERSION))) then return false end
  local sets = { VERSION, version }
  for i = at, at + 2 * setCount - 1 do sets[#sets + 1] = OPS[i] end
  redis.call('HSET', key, unpack(sets))
  if deleteCount > 0 then
    redis.call('HDEL', key, unpack(OPS, at + 2 * setCount, at + 2 * setCount + deleteCount - 1))
  end
  return true
end

-- Properties are written sorted by name, so equal objects are equal strings.
-- patch: OPS[at..] holds propertyCount property/JSON-fragment pairs.
local function hmergeJsonIfNewer(key, field, version, propertyCount, at)
  local merged = {}
  local current = redis.call('HGET', key, field)
  if current then
    local decoded = cjson.decode(current)
    if not isNewer(version, tonumber(decoded[VERSION])) then return false end
    for name, value in pairs(decoded) do merged[name] = encodeScalar(value) end
  end
  for i = at, at + 2 * propertyCount - 1, 2 do merged[OPS[i]] = OPS[i + 1] end
  merged[VERSION] = version
  local names = {}
  for name in pairs(merged) do names[#names + 1] = name end
  table.sort(names)
  local parts = {}
  for i, name in ipairs(names) do parts[i] = cjson.encode(name) .. ':' .. merged[name] end
  redis.call('HSET', key, field, '{' .. table.concat(parts, ',') .. '}')
  return true
end

-- How many OPS entries the op starting at OPS[at] takes.
local function opLength(at)
  local kind = OPS[at]
  if kind == 'h' then return 5 + 2 * OPS[at + 3] + OPS[at + 4] end
  if kind == 'j' then return 5 + 2 * OPS[at + 4] end
  if kind == 'z' then return 4 end
  error('unknown op ' .. tostring(kind) .. ' at OPS[' .. at .. ']')
end

-- Applies the op starting at OPS[at] (opLength has checked its kind); false when its
-- version guard found it stale.
local function apply(at)
  local kind, key = OPS[at], KEYS[OPS[at + 1]]
  if kind == 'h' then return hsetIfNewer(key, OPS[at + 2], OPS[at + 3], OPS[at + 4], at + 5) end
  if kind == 'j' then return hmergeJsonIfNewer(key, OPS[at + 2], OPS[at + 3], OPS[at + 4], at + 5) end
  redis.call('ZADD', key, OPS[at + 2], OPS[at + 3])
  return true
end

local partition, lastOffset, expected = ARGV[1], ARGV[2], ARGV[4]
local checkpoint = redis.call('HGET', KEYS[1], partition)
if expected ~= '' and expected ~= (checkpoint or 'none') then
  return { 'mismatch', checkpoint or '' }
end
local applied, alreadyApplied, stale = 0, 0, 0
local at, count = 1, #OPS
while at <= count do
  local offset, opCount = OPS[at], OPS[at + 1]
  local fresh = not checkpoint or offsetAfter(offset, checkpoint)
  if fresh then applied = applied + 1 else alreadyApplied = alreadyApplied + 1 end
  at = at + 2
  for _ = 1, opCount do
    local length = opLength(at)
    if fresh and not apply(at) then stale = stale + 1 end
    at = at + length
  end
end
if not checkpoint or offsetAfter(lastOffset, checkpoint) then
  redis.call('HSET', KEYS[1], partition, lastOffset)
  if ARGV[5] ~= '' then redis.call('HSET', KEYS[2], partition, ARGV[5]) end
end
return { applied, alreadyApplied, stale }
