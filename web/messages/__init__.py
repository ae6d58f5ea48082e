"""Field-error messages of a 422 (validation.py). UI strings live in locale/*/LC_MESSAGES/messages.po; a key
file added here the old way (MESSAGES = {key: (vi, en)}) is read as a fallback until `make i18n` moves it."""
