"""Running the app: gunicorn's worker, the Uvicorn server inside it, and the process's shutdown state."""
