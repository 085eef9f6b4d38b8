"""Real Kazakh government files for the demo and tests; see README.md here for sources and licences."""
