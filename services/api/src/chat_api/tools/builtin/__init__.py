"""The built-in tools, one module each: every function made with `@tool` in a module here is offered (the
catalog finds them; nothing else to register)."""
