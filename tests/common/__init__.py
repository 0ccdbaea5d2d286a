"""Test helpers shared by the test packages: a temporary Whoosh index, a throwaway PostgreSQL."""
