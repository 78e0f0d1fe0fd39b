#!lua flags=no-writes
-- Reads one page of a Redis read model's index (a sorted set, highest score first) with each
-- listed member's value from a hash, in one round trip; the live pointer (unless a generation is
-- given), the index and the values are read in one atomic step, so neither a rebuild's switch nor
-- a projector's write can fall between them.
--
-- KEYS[1]  the projection's live pointer (outflow:<projection>:live, or its bucket's copy)
-- ARGV[1]  the generation to read, or '' to follow the pointer
-- ARGV[2]  the keys up to the generation number (outflow:<projection>:g)
-- ARGV[3]  the index's key after the generation number (:<relative key>)
-- ARGV[4]  the values hash's key after the generation number
-- ARGV[5]  how many entries to read below the cursor
-- ARGV[6]  the cursor's score, or '' for the first page
-- Returns false without a live generation, else { atScore, below, values }: with a cursor,
-- atScore is every entry with exactly the cursor's score (the caller keeps those after its
-- cursor's member) and below is up to ARGV[5] entries of lower scores; without one, atScore is
-- empty and below is the first ARGV[5] entries. Entries are flat member, score pairs; values
-- are the hash's values of atScore's then below's members, in that order (false when absent).
--
-- On a cluster KEYS[1] is the copy of the pointer in the index's bucket, and the index, the values
-- hash and that copy share its hash tag; see redisReadLiveHash.lua.
local generation = ARGV[1]
if generation == '' then generation = redis.call('GET', KEYS[1]) or '' end
generation = tonumber(generation)
if not generation or generation < 1 or generation > 9007199254740991 or generation % 1 ~= 0 then return false end
local prefix = ARGV[2] .. string.format('%d', generation)
local index, values = prefix .. ARGV[3], prefix .. ARGV[4]
local count = tonumber(ARGV[5])

local atScore, below
if ARGV[6] == '' then
  atScore = {}
  below = redis.call('ZREVRANGE', index, 0, count - 1, 'WITHSCORES')
else
  atScore = redis.call('ZREVRANGEBYSCORE', index, ARGV[6], ARGV[6], 'WITHSCORES')
  below = redis.call('ZREVRANGEBYSCORE', index, '(' .. ARGV[6], '-inf', 'WITHSCORES', 'LIMIT', 0, count)
end

local members = {}
for i = 1, #atScore, 2 do members[#members + 1] = atScore[i] end
for i = 1, #below, 2 do members[#members + 1] = below[i] end
-- HMGET in slices: unpack() is bounded by Lua's stack, and one millisecond may hold many entries.
local found = {}
for first = 1, #members, 1000 do
  local slice = redis.call('HMGET', values, unpack(members, first, math.min(first + 999, #members)))
  for i = 1, #slice do found[#found + 1] = slice[i] end
end
return { atScore, below, found }
