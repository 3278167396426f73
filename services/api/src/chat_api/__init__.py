"""The chat api. One folder per area; data flows one way (routes -> services -> upstream).

- `http/`    the HTTP layer every area shares: error envelope, request context and log line, health, deps
- `chat/`    the streaming core: events, upstream (Semantic Kernel), reader, encoders, the streaming
             response, and the stateless routes
- `server/`  running it: the gunicorn worker, the Uvicorn server, the process's shutdown state
"""

from chat_api.sk_left_out import stand_in_for_left_out_packages

stand_in_for_left_out_packages()  # before anything imports Semantic Kernel
