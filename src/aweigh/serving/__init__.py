"""The inference server: one ASGI app from ``create_app(settings)``."""
