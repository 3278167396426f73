"""Streaming chat API: FastAPI + Semantic Kernel + Azure OpenAI."""
