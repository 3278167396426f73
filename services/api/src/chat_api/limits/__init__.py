"""Per-user limits that hold across replicas: requests per minute, concurrent streams, model tokens per day."""
