"""Live answers in conversations: each runs as a task owned by the process that started it, independent of
any HTTP response; its events go to an event log that any reader can replay from an id and then follow;
Stop works from anywhere; a lease tells when an owner has died."""
