-- A command writes its state rows, its outbox rows and its stored answer in one statement, with
-- the COMMIT already sent behind it in the same round trip (commandExecutor.ts). So the statement
-- must refuse on its own, before anything can commit, when a row it updates is no longer at the
-- version the decision read: each UPDATE matches only that version, and this check raises when
-- fewer rows changed than the decision expected. The row locks taken with the reads make that
-- impossible in the normal course; should it happen anyway, it is a lost race, so it raises what a
-- serializable transaction would (40001), and the executor retries the command from its reads.
CREATE FUNCTION write.expect_rows(step text, written bigint, expected bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
BEGIN
  IF written IS DISTINCT FROM expected THEN
    RAISE EXCEPTION 'command write step % changed % row(s), expected %: a row is no longer at the version the command read',
      step, written, expected
      USING ERRCODE = 'serialization_failure';
  END IF;
  RETURN written;
END $$;
