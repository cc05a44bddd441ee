-- When the last message of a round's close (its answers, then the post's new state) was
-- delivered. A round is closed to answers when it closes; it is revealed once this is set.
ALTER TABLE prompt_rounds ADD COLUMN revealed_at TEXT;
