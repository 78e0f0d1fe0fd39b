-- The W3C traceparent of the request that caused the event, or null (no tracing and none sent):
-- the connector puts it in the Kafka header `traceparent`, and each projection's apply span
-- continues the command's trace from it. Nullable without a default, so adding it to a large
-- outbox rewrites nothing.
ALTER TABLE write.outbox ADD COLUMN traceparent text;
