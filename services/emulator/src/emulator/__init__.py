"""An Azure OpenAI chat-completions emulator that speaks the real wire protocol."""
