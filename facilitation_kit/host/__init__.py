"""The host process: the websockets server, the durable store, and the assembly of one session."""
