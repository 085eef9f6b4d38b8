"""Data libraries: readers, schema inference, profiling, the publish pipeline, versions, access grants."""
