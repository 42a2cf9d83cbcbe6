"""The workshop's model: state, commands, events, agenda, the plugin contract. Imports neither websockets, Textual nor TinyDB."""
