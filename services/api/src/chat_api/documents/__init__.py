"""Documents attached to a conversation: upload, durable ingestion (extract, chunk, embed), hybrid search."""
