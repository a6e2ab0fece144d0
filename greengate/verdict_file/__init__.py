"""The verdict file greengate writes and the measurement files it reads."""
