"""ToyGAN Lab's live server: FastAPI app, websocket sessions, binary frames. Holds no math."""
