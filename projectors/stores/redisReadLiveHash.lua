#!lua flags=no-writes
-- Reads one hash of a Redis read model through its live pointer: the pointer and the hash in one
-- round trip and one atomic step, so a rebuild's switch cannot fall between the two reads.
--
-- KEYS[1]  the projection's live pointer (outflow:<projection>:live, or its bucket's copy)
-- ARGV[1]  the hash's key up to the generation number (outflow:<projection>:g, or with the bucket's tag)
-- ARGV[2]  the hash's key after the generation number (:<relative key>)
-- Returns the hash as HGETALL does: empty when the hash or the live generation does not exist.
--
-- Redis asks scripts to name every key in KEYS, and a cluster routes a script by them. The hash's
-- key depends on the pointer's value, so it cannot be in KEYS up front; it shares the pointer's
-- slot instead: on a cluster KEYS[1] is the copy of the pointer in the hash's own bucket, whose
-- hash tag starts both keys (redisKeys.ts).
-- no-writes: refused writes, and runnable on a replica and when the server is out of memory.
local generation = tonumber(redis.call('GET', KEYS[1]) or '')
if not generation or generation < 1 or generation > 9007199254740991 or generation % 1 ~= 0 then return {} end
return redis.call('HGETALL', ARGV[1] .. string.format('%d', generation) .. ARGV[2])
