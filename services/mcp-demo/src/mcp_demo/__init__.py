"""An MCP demo server: a small notes store, a slow tool that records its cancellations, and whoami."""
