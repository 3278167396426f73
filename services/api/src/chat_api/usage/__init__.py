"""Usage: what each user spent, per model and day (UTC), in the database, for the admin view. The limits meter
the same tokens in Redis to refuse; this keeps them for reading. Totals only, never content."""
