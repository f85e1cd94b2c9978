"""The test suite; mirrors apps/ and adds the project-level tests."""
