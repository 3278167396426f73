"""The operator's MCP servers as tools: their configuration (`config`), the sessions to them (`connection`,
`sessions`), their tools as kernel functions (`functions`) and what a call's result becomes (`results`)."""
