"""The facilitator's Textual app: screens, widgets, and the facilitator-channel client."""
