"""Scripts the Makefile runs for the people working on Cadence (`make audit`); not installed with the bot."""
