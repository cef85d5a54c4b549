"""Tests of the sans-I/O core: shapes, query serialization and XML parsing."""
