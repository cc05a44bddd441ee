-- The outbox carries a challenge's messages now: which intent posts its card (edits made
-- before Discord has it refer to that intent), and which opens its debrief thread (so two
-- first answers at once share one thread).
ALTER TABLE pd_challenges ADD COLUMN card_intent INTEGER;
ALTER TABLE pd_challenges ADD COLUMN thread_intent INTEGER;
