"""The facts a user asked the assistant to keep across conversations (the `remember` tool): saved, listed and
deleted by the user, and given to the model in the system prompt of the user's later conversations."""
