"""Contract-test support: an OpenAPI/Swagger request and response checker and
local stand-ins for the Harbor and LiteLLM APIs (see README, "Tenant registry
and LLM gateway access")."""
