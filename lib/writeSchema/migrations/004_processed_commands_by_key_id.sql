-- Idempotency records belong to the API key's stable identity, not to its display name: two
-- keys may share a name, and a renamed key keeps its records. Rows written before this hold a
-- configured key's name; they age out with pruning.
ALTER TABLE write.processed_commands RENAME COLUMN principal TO key_id;

-- `outflow commands prune` deletes by age.
CREATE INDEX processed_commands_created_at ON write.processed_commands (created_at);

-- Stored keys moved to the read-model server (auth.api_keys), where both APIs can read them.
DROP TABLE write.api_keys;
