"""The message centre (站内信), the channels beside it (email, SMS, WeChat) and their deliveries."""
