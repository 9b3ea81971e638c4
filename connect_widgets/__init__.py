"""Connect onboarding kit: guided setup for email-security admins, in Voila."""

__version__ = "0.1.0"
