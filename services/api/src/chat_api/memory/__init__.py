"""Memory for long conversations: each prompt fits the model's context window, older turns summarised."""
