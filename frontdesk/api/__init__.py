"""The HTTP face: FastAPI app factory, dependencies, and one router per resource."""
