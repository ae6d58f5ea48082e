"""The HTTP and socket edge helpers the domain packages share: authentication, JSON and form parsing, OpenAPI,
page rendering, i18n of requests, the socket registration protocol (imports core and infra only)."""
