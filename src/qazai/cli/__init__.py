"""The `qazai` command: thin over the service functions, one module per capability."""
