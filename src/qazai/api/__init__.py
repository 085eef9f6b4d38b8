"""The HTTP surface: FastAPI app factory, the error envelope, one router per capability."""
